import { once } from 'node:events';
import net from 'node:net';
import ssh2, { type ConnectConfig } from 'ssh2';
import { fingerprintSha256 } from '../keys';

/**
 * A small ssh2 client for the sandbox's tests: connect with a key, run one
 * exec and collect its output, and open a local TCP tunnel through
 * `direct-tcpip` (what the driver needs to reach a juju-db member).
 */

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface TestSsh {
  readonly client: InstanceType<typeof ssh2.Client>;
  /** `SHA256:…` of the host key the server presented. */
  readonly hostFingerprint: string;
  exec(line: string, stdin?: Buffer | NodeJS.ReadableStream): Promise<ExecResult>;
  /** A listening 127.0.0.1 port whose connections are forwarded to `host:port` on the server side. */
  tunnel(host: string, port: number): Promise<{ port: number; close(): Promise<void> }>;
  end(): void;
}

export async function connectSsh(
  port: number,
  privateKey: string | Buffer,
  options: { user?: string; expectFingerprint?: string; timeoutMs?: number } = {},
): Promise<TestSsh> {
  const client = new ssh2.Client();
  let hostFingerprint = '';
  const config: ConnectConfig = {
    host: '127.0.0.1',
    port,
    username: options.user ?? 'ubuntu',
    privateKey,
    readyTimeout: options.timeoutMs ?? 20_000,
    hostVerifier: (key: Buffer) => {
      hostFingerprint = fingerprintSha256(key);
      return options.expectFingerprint === undefined || options.expectFingerprint === hostFingerprint;
    },
  };
  const ready = new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
  // Later errors (a reset after an auth failure, a power-off) are seen by callers as closes.
  client.on('error', () => undefined);
  client.connect(config);
  try {
    await ready;
  } catch (err) {
    client.end();
    throw err;
  }

  const exec = (line: string, stdin?: Buffer | NodeJS.ReadableStream) =>
    new Promise<ExecResult>((resolve, reject) => {
      client.exec(line, (err, stream) => {
        if (err) return reject(err);
        const out: Buffer[] = [];
        let errText = '';
        let code: number | null = null;
        stream.on('data', (d: Buffer) => out.push(d));
        stream.stderr.on('data', (d: Buffer) => (errText += d.toString()));
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => resolve({ code, stdout: Buffer.concat(out), stderr: errText }));
        if (stdin === undefined) stream.end();
        else if (Buffer.isBuffer(stdin)) stream.end(stdin);
        else stdin.pipe(stream);
      });
    });

  const tunnel = async (host: string, destPort: number) => {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      client.forwardOut('127.0.0.1', sock.remotePort ?? 0, host, destPort, (err, channel) => {
        if (err) return sock.destroy();
        sock.pipe(channel).pipe(sock);
        channel.on('error', () => sock.destroy());
        sock.on('error', () => channel.destroy());
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return {
      port: (server.address() as net.AddressInfo).port,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  };

  return { client, hostFingerprint, exec, tunnel, end: () => client.end() };
}
