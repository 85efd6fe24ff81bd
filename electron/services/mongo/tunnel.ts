import net from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';

/**
 * A local TCP listener on 127.0.0.1:0 whose connections are piped into SSH
 * `direct-tcpip` channels to juju-db (127.0.0.1:37017 on the machine). The
 * official driver then connects to the listener as to any mongod; TLS runs
 * end to end inside the tunnel, so the SSH hop never sees plaintext.
 *
 * The channel opener is asked for a fresh channel per connection, so the
 * listener (and its port) survives SSH reconnects; the session still
 * replaces its MongoClient after a drop (see `StateServerSession.mongo`).
 */
export class MongoTunnel {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #channels = new Set<Duplex>();
  #port = 0;
  #closed = false;
  #openFailure: unknown = null;

  private constructor(openChannel: () => Promise<Duplex>) {
    this.#server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket, openChannel));
  }

  /** Starts listening; `openChannel` opens one forwarded channel (e.g. `ssh.forwardOut('127.0.0.1', 37017)`). */
  static async open(openChannel: () => Promise<Duplex>): Promise<MongoTunnel> {
    const tunnel = new MongoTunnel(openChannel);
    tunnel.#server.listen({ host: '127.0.0.1', port: 0 });
    await once(tunnel.#server, 'listening');
    tunnel.#port = (tunnel.#server.address() as net.AddressInfo).port;
    return tunnel;
  }

  get port(): number {
    return this.#port;
  }

  /**
   * Why the last channel could not be opened (e.g. ssh2's `Channel open
   * failure` when nothing listens on the machine's port), or null once a
   * channel opened since. The client only sees its socket dropped; this
   * says why, for the error the operator reads.
   */
  get lastOpenFailure(): unknown {
    return this.#openFailure;
  }

  /** Connections currently piped (for tests and diagnostics). */
  get activeConnections(): number {
    return this.#sockets.size;
  }

  #accept(socket: net.Socket, openChannel: () => Promise<Duplex>): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.#sockets.delete(socket));
    openChannel().then(
      (channel) => {
        this.#openFailure = null;
        if (this.#closed || socket.destroyed) {
          channel.destroy();
          return;
        }
        this.#channels.add(channel);
        channel.on('error', () => socket.destroy());
        channel.once('close', () => {
          this.#channels.delete(channel);
          socket.destroy();
        });
        socket.once('close', () => channel.destroy());
        socket.pipe(channel).pipe(socket);
        socket.resume();
      },
      // No SSH session, or the port is closed: the client sees the connection close; `lastOpenFailure` says why.
      (error: unknown) => {
        this.#openFailure = error;
        socket.destroy();
      },
    );
  }

  /**
   * Cuts every piped connection but keeps listening: called when the SSH
   * connection under the channels died, so the driver sees its sockets close
   * now rather than whenever ssh2 gets round to closing the dead channels
   * (it waits for their buffered data to be read first).
   */
  cutConnections(): void {
    for (const s of this.#sockets) s.destroy();
    for (const c of this.#channels) c.destroy();
  }

  /** Stops listening and cuts every piped connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#sockets) s.destroy();
    for (const c of this.#channels) c.destroy();
    this.#sockets.clear();
    this.#channels.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
