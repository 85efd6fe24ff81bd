import net from 'node:net';
import { once } from 'node:events';
import ssh2, { type Connection, type PublicKeyAuthContext, type Server, type ServerChannel } from 'ssh2';
import { fingerprintSha256, parseKey } from '../keys';
import { runCommandLine, type CommandContext } from './commands';
import type { JujuDbMember } from '../juju-db/api';

/**
 * One sandbox machine's sshd: an ssh2 server on 127.0.0.1 with the machine's
 * host key, public-key auth for `ubuntu` with the environment key only,
 * `exec` of Quorum's remote command set, and `direct-tcpip` to the machine's
 * juju-db at 127.0.0.1:37017 and to its Juju API server at 127.0.0.1:17070.
 * Nothing else (no shell, pty or sftp).
 *
 * The TCP listener is ours rather than ssh2's so that powering the machine
 * off can both close the port (connections refused) and cut every existing
 * session, and so a host-key rotation can swap the ssh2 server in place.
 */

export interface SshHostOptions {
  readonly machineId: string;
  readonly hostKey: string;
  /** The environment's public key (OpenSSH one-line format). */
  readonly authorizedKey: string;
  readonly user: string;
  readonly commands: CommandContext;
  /** The member a `direct-tcpip` to port 37017 reaches; undefined on machines without juju-db. */
  readonly jujuDb: () => JujuDbMember | undefined;
  /** Local port of the machine's Juju API server (what `direct-tcpip` to 17070 reaches); undefined while none serves. */
  readonly jujuApi?: () => number | undefined;
}

const JUJU_DB_PORT = 37017;
const JUJU_API_PORT = 17070;
const FORWARD_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

export class SshHost {
  #ssh: Server;
  #hostKey: string;
  readonly #authorized: Buffer;
  #listener: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #port = 0;

  constructor(private readonly options: SshHostOptions) {
    this.#hostKey = options.hostKey;
    this.#authorized = parseKey(options.authorizedKey).getPublicSSH();
    this.#ssh = this.#createServer();
  }

  get port(): number {
    return this.#port;
  }
  get listening(): boolean {
    return this.#listener !== undefined;
  }
  get fingerprint(): string {
    return fingerprintSha256(parseKey(this.#hostKey));
  }

  /** Listen on 127.0.0.1:`port` (0 = any free port). Rejects with EADDRINUSE when the port is taken. */
  async listen(port: number): Promise<number> {
    if (this.#listener) return this.#port;
    const listener = net.createServer((socket) => {
      // Like OpenSSH's sshd (TCP_NODELAY on interactive and exec sessions): without it
      // Nagle holds a command's small exit-status/EOF packets for a delayed ACK (~40 ms each).
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      this.#ssh.injectSocket(socket);
    });
    listener.listen({ host: '127.0.0.1', port, exclusive: true });
    await Promise.race([
      once(listener, 'listening'),
      once(listener, 'error').then(([err]) => {
        throw err;
      }),
    ]);
    this.#listener = listener;
    this.#port = (listener.address() as net.AddressInfo).port;
    return this.#port;
  }

  /** Power off: the port stops accepting and every open session is cut. */
  async close(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (listener) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  /** Replace the host key; sessions on the old key are cut, new ones see the new key. */
  setHostKey(hostKey: string): void {
    this.#hostKey = hostKey;
    this.#ssh = this.#createServer();
    for (const s of this.#sockets) s.destroy();
  }

  #createServer(): Server {
    return new ssh2.Server(
      { hostKeys: [this.#hostKey], ident: 'OpenSSH_6.6.1p1 Ubuntu-2ubuntu2.8' },
      (client) => this.#onClient(client),
    );
  }

  #onClient(client: Connection): void {
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.username !== this.options.user) return ctx.reject(['publickey']);
      if (!this.#keyAccepted(ctx)) return ctx.reject(['publickey']);
      return ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (_a, reject) => reject?.());
        session.on('shell', (_a, reject) => reject());
        session.on('subsystem', (_a, reject) => reject());
        session.on('sftp', (_a, reject) => reject());
        session.on('exec', (accept, _reject, info) => {
          const channel = accept();
          channel.on('error', () => undefined);
          runCommandLine(info.command, this.options.commands, {
            stdin: channel,
            stdout: channel,
            stderr: channel.stderr,
          })
            .catch((err: unknown) => {
              channel.stderr.write(`sh: 1: internal error: ${(err as Error).message}\n`);
              return 1;
            })
            .then((code) => {
              if (channel.destroyed || !channel.writable) return;
              channel.exit(code);
              channel.end();
            })
            .catch(() => undefined);
        });
      });
      client.on('tcpip', (accept, reject, info) => {
        if (FORWARD_HOSTS.has(info.destIP) && info.destPort === JUJU_API_PORT) return this.#forwardToApi(accept, reject);
        const member = this.options.jujuDb();
        if (!FORWARD_HOSTS.has(info.destIP) || info.destPort !== JUJU_DB_PORT || !member || member.status !== 'running') {
          return reject();
        }
        const channel = accept();
        channel.on('error', () => undefined);
        member.acceptStream(channel);
      });
    });
  }

  /** Pipes the channel to the local API server, refusing it (as a closed port does) when none serves. */
  #forwardToApi(accept: () => ServerChannel, reject: () => void): void {
    const port = this.options.jujuApi?.();
    if (port === undefined) return reject();
    const upstream = net.connect({ host: '127.0.0.1', port });
    upstream.setNoDelay(true);
    upstream.once('error', () => reject());
    upstream.once('connect', () => {
      upstream.removeAllListeners('error');
      const channel = accept();
      this.#sockets.add(upstream);
      upstream.once('close', () => this.#sockets.delete(upstream));
      channel.on('error', () => upstream.destroy());
      upstream.on('error', () => channel.destroy());
      channel.pipe(upstream).pipe(channel);
    });
  }

  #keyAccepted(ctx: PublicKeyAuthContext): boolean {
    if (!ctx.key.data.equals(this.#authorized)) return false;
    // Without a signature the client only asks whether the key would do.
    if (!ctx.signature) return true;
    const key = parseKey(this.options.authorizedKey);
    return key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true;
  }
}
