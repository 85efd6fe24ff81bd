import tls from 'node:tls';
import { JujuDbNetworkError, JujuDbTimeoutError } from '../juju-db-client';
import { jujuDbTlsOptions } from '../tls-options';
import { MessageFramer, parseReply, type Message, type Reply } from './wire';

/**
 * One TLS connection to a juju-db member speaking the legacy wire protocol.
 * Requests are matched to replies by id. A request that times out or is
 * aborted destroys the connection: the server may still answer it later
 * (or never, for an opcode it ignores), and a connection with an unknown
 * reply in flight cannot be reused safely.
 */

export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly caPem: string;
  readonly servername?: string | undefined;
}

export interface RequestOptions {
  /** 0 or less: no timeout. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** The operation was cancelled through its AbortSignal (named like the DOM's, so callers can test `name === 'AbortError'`). */
export class JujuDbAbortError extends Error {
  override readonly name = 'AbortError';
}

interface Pending {
  resolve(reply: Reply): void;
  reject(error: Error): void;
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/;

/** What went wrong, in words an operator can act on, followed by Node's own detail. */
function describeSocketError(error: NodeJS.ErrnoException, where: string, secure: boolean): string {
  const code = error.code ?? '';
  if (code === 'ECONNREFUSED') return `connection to ${where} refused: ${error.message}`;
  if (code === 'ECONNRESET') return `connection to ${where} reset by the server: ${error.message}`;
  if (!secure || TLS_CODE.test(code)) return `TLS handshake with ${where} failed: ${error.message}`;
  return `connection to ${where} failed: ${error.message}`;
}

export function abortError(signal: AbortSignal): JujuDbAbortError {
  const reason: unknown = signal.reason;
  const detail = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
  return new JujuDbAbortError(`The operation was aborted${detail}`, { cause: reason });
}

export class LegacyConnection {
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new MessageFramer();
  private closedError: JujuDbNetworkError | undefined;
  private socketError: NodeJS.ErrnoException | undefined;

  private constructor(
    private readonly socket: tls.TLSSocket,
    readonly where: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.socketError ??= error;
    });
    socket.on('close', () => {
      const error = this.socketError;
      this.fail(
        error
          ? new JujuDbNetworkError(describeSocketError(error, where, true), { cause: error })
          : new JujuDbNetworkError(`connection to ${where} closed by the server`),
      );
    });
  }

  /** TCP + TLS (verified against the environment CA); rejects with JujuDbTimeoutError after `timeoutMs`. */
  static open(endpoint: Endpoint, timeoutMs: number): Promise<LegacyConnection> {
    const where = `juju-db at ${endpoint.host}:${endpoint.port}`;
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: endpoint.host, port: endpoint.port, ...jujuDbTlsOptions(endpoint.caPem, endpoint.servername) });
      socket.setNoDelay(true);
      let tcpUp = false;
      const fail = (error: Error): void => {
        clearTimeout(timer);
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new JujuDbTimeoutError(`connecting to ${where} timed out after ${timeoutMs} ms`, timeoutMs)), timeoutMs);
      socket.once('connect', () => {
        tcpUp = true;
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const message = tcpUp || error.code === 'ECONNREFUSED' ? describeSocketError(error, where, false) : `connection to ${where} failed: ${error.message}`;
        fail(new JujuDbNetworkError(message, { cause: error }));
      });
      socket.once('close', () => fail(new JujuDbNetworkError(`connection to ${where} closed by the server ${tcpUp ? 'during the TLS handshake' : 'before it was established'}`)));
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners();
        resolve(new LegacyConnection(socket, where));
      });
    });
  }

  /** False once closed, by either side. */
  get alive(): boolean {
    return this.closedError === undefined;
  }

  /** Writes a message that gets no reply (OP_INSERT/UPDATE/DELETE before getLastError, OP_KILL_CURSORS). */
  send(message: Message): void {
    if (this.closedError) throw this.closedError;
    this.socket.cork();
    for (const chunk of message) this.socket.write(chunk);
    this.socket.uncork();
  }

  /** Writes a message and waits for the OP_REPLY answering `requestId`. */
  request(message: Message, requestId: number, options: RequestOptions): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<Reply>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(requestId);
      };
      const onAbort = (): void => {
        done();
        reject(abortError(signal!));
        this.destroy('the operation was aborted');
      };
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              done();
              reject(new JujuDbTimeoutError(`${this.where} did not answer within ${timeoutMs} ms; the connection was closed`, timeoutMs));
              this.destroy(`no reply within ${timeoutMs} ms`);
            }, timeoutMs)
          : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, {
        resolve: (reply) => {
          done();
          resolve(reply);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      this.send(message);
    });
  }

  /** Closes the socket at once; pending requests fail with JujuDbNetworkError saying why. */
  destroy(reason: string): void {
    if (this.closedError) return;
    this.fail(new JujuDbNetworkError(`connection to ${this.where} closed by Quorum: ${reason}`));
    this.socket.destroy();
  }

  private fail(error: JujuDbNetworkError): void {
    this.closedError ??= error;
    for (const p of [...this.pending.values()]) p.reject(this.closedError);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (error) {
      this.destroy(`invalid data from the server (${(error as Error).message})`);
      return;
    }
    for (const message of messages) {
      let reply: Reply;
      try {
        reply = parseReply(message);
      } catch (error) {
        this.destroy(`invalid reply from the server (${(error as Error).message})`);
        return;
      }
      // A reply to a request given up on cannot arrive: that connection was destroyed.
      this.pending.get(reply.responseTo)?.resolve(reply);
    }
  }
}
