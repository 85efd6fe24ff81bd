import net from 'node:net';
import { once } from 'node:events';
import ssh2, { type Connection, type Server, type ServerChannel } from 'ssh2';
import { parseRemoteCommand, type RemoteCommand } from '../../../shared/remote-commands';

/**
 * A small real ssh2 server for the connection layer's integration tests:
 * ed25519 host key (replaceable), public-key auth for one user, exec of the
 * remote command set through a handler the test supplies, and `direct-tcpip`
 * to any local port. Test support only; the sandbox has the real hosts.
 */

/**
 * ssh2's generator, retried until ssh2 can parse what it generated: about
 * 0.4 % of its ed25519 keys come out with a 31-byte public key (a leading
 * zero dropped) that its own parser then rejects.
 */
export function generateKeyPair(
  type: 'ed25519' | 'rsa',
  options: { bits?: number; passphrase?: string; cipher?: string; rounds?: number; comment?: string } = {},
): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync(type as 'ed25519', options as never);
    const pub = ssh2.utils.parseKey(pair.public);
    const priv = ssh2.utils.parseKey(pair.private, options.passphrase);
    if (!(pub instanceof Error) && !(priv instanceof Error)) return pair;
  }
}

export type ExecHandler = (command: RemoteCommand, channel: ServerChannel) => void | Promise<void>;

export interface TestSshServerOptions {
  readonly user?: string;
  /** OpenSSH public key line accepted for `user`. */
  readonly authorizedKey: string;
  readonly exec: ExecHandler;
}

export class TestSshServer {
  hostKey = generateKeyPair('ed25519');
  readonly #listener: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #authorized: Buffer;
  #ssh: Server;
  /** Channels currently open on the server side, for leak checks. */
  openChannels = 0;
  port = 0;

  constructor(private readonly options: TestSshServerOptions) {
    const parsed = ssh2.utils.parseKey(options.authorizedKey);
    if (parsed instanceof Error) throw parsed;
    this.#authorized = (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH();
    this.#ssh = this.#create();
    this.#listener = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.setNoDelay(true);
      this.#ssh.injectSocket(socket);
    });
  }

  async listen(): Promise<number> {
    this.#listener.listen(0, '127.0.0.1');
    await once(this.#listener, 'listening');
    this.port = (this.#listener.address() as net.AddressInfo).port;
    return this.port;
  }

  /** New host key; open sessions are cut. */
  rotateHostKey(): void {
    this.hostKey = generateKeyPair('ed25519');
    this.#ssh = this.#create();
    this.dropAll();
  }

  dropAll(): void {
    for (const s of this.#sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
  }

  #create(): Server {
    return new ssh2.Server({ hostKeys: [this.hostKey.private] }, (client) => this.#onClient(client));
  }

  #onClient(client: Connection): void {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== (this.options.user ?? 'ubuntu') || !ctx.key.data.equals(this.#authorized)) {
        return ctx.reject(['publickey']);
      }
      if (!ctx.signature) return ctx.accept();
      const key = ssh2.utils.parseKey(this.options.authorizedKey);
      const k = Array.isArray(key) ? key[0] : key;
      if (k instanceof Error || !k || k.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      return ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          this.openChannels++;
          channel.once('close', () => this.openChannels--);
          channel.on('error', () => undefined);
          const command = parseRemoteCommand(info.command);
          if (!command) {
            channel.stderr.write(`sh: 1: not in the remote command set\n`);
            channel.exit(127);
            channel.end();
            return;
          }
          // Drain stdin of commands that take none, so the client's EOF and close are seen.
          if (command.kind !== 'write-file' && command.kind !== 'tar-in') channel.resume();
          Promise.resolve(this.options.exec(command, channel)).catch((error: unknown) => {
            channel.stderr.write(`internal: ${(error as Error).message}\n`);
            channel.exit(1);
            channel.end();
          });
        });
      });
      client.on('tcpip', (accept, reject, info) => {
        const socket = net.connect(info.destPort, info.destIP);
        socket.once('connect', () => {
          const channel = accept();
          channel.pipe(socket).pipe(channel);
          channel.on('error', () => socket.destroy());
          socket.on('error', () => channel.destroy());
        });
        socket.once('error', () => reject());
      });
    });
  }
}
