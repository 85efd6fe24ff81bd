import { QuorumError } from '../../../shared/errors';

/**
 * Juju 1.x JSON-RPC over a WebSocket (PROTOCOL.md §2): one JSON object per
 * text frame, CamelCase keys, `RequestId` from 1 upward per connection,
 * responses matched by id (they may come out of order). `Version` is
 * omitted when 0 and `Params` when absent, as the 1.25 client's jsoncodec
 * does with `omitempty`. Kept apart from the socket and TLS so it can be
 * tested against any fake that sends and receives text.
 */

/** The few things the RPC layer needs from a WebSocket (`ws` satisfies it). */
export interface RpcSocket {
  send(data: string): void;
  close(): void;
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface RpcRequest {
  /** Facade, e.g. `Admin`, `HighAvailability`, `Client`. */
  readonly type: string;
  /** Facade version; 0 goes on the wire without a `Version` key. */
  readonly version: number;
  readonly request: string;
  readonly params?: unknown;
}

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A request-level error in Juju's words: `Error` and `ErrorCode` of the response. */
export class RpcError extends Error {
  readonly code: string;
  readonly request: string;
  constructor(message: string, code: string, request: string) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.request = request;
  }
}

interface Pending {
  readonly request: string;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  cleanup(): void;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export class JujuRpc {
  readonly #socket: RpcSocket;
  readonly #label: string;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closedError: QuorumError | null = null;

  /** @param label where the socket goes, for operator sentences (`the Juju API on 10.0.0.10`). */
  constructor(socket: RpcSocket, label: string) {
    this.#socket = socket;
    this.#label = label;
    socket.on('message', (data, isBinary) => this.#receive(data, isBinary));
    socket.on('close', () => this.#fail(new QuorumError('juju-api-unreachable', `${label} closed the connection. Check that the state server is up, then try again.`)));
    socket.on('error', () => undefined); // 'close' follows and fails what is pending
  }

  get closed(): boolean {
    return this.#closedError !== null;
  }

  /** Sends one request and resolves with its `Response` (or `{}`), rejecting with `RpcError` for Juju's errors. */
  call(req: RpcRequest, options: CallOptions = {}): Promise<unknown> {
    if (this.#closedError !== null) return Promise.reject(this.#closedError);
    if (options.signal?.aborted) return Promise.reject(cancelled(req));
    const id = this.#nextId++;
    const message: Record<string, unknown> = { RequestId: id, Type: req.type };
    if (req.version !== 0) message['Version'] = req.version;
    message['Request'] = req.request;
    if (req.params !== undefined) message['Params'] = req.params;
    const timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(id);
        cleanup();
        reject(cancelled(req));
      };
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        cleanup();
        reject(
          new QuorumError(
            'timeout',
            `${this.#label} did not answer ${req.type}.${req.request} within ${Math.round(timeoutMs / 1000)} s. The state server may be overloaded; check it and try again.`,
            { details: { request: `${req.type}.${req.request}` } },
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, { request: `${req.type}.${req.request}`, resolve, reject, cleanup });
      try {
        this.#socket.send(JSON.stringify(message));
      } catch (error) {
        this.#pending.delete(id);
        cleanup();
        reject(new QuorumError('juju-api-unreachable', `Quorum could not send to ${this.#label}: the connection is gone. Try again.`, { cause: error }));
      }
    });
  }

  close(): void {
    this.#fail(new QuorumError('cancelled', `The connection to ${this.#label} was closed.`));
    try {
      this.#socket.close();
    } catch {
      // already closed
    }
  }

  #receive(data: unknown, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try {
      message = JSON.parse(typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : String(data));
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    // A request from the server (non-empty Type or Request) is not for this client.
    if ((typeof m['Type'] === 'string' && m['Type'] !== '') || (typeof m['Request'] === 'string' && m['Request'] !== '')) return;
    const id = m['RequestId'];
    if (typeof id !== 'number') return;
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.cleanup();
    const error = m['Error'];
    if (typeof error === 'string' && error !== '') {
      const code = typeof m['ErrorCode'] === 'string' ? m['ErrorCode'] : '';
      pending.reject(new RpcError(error, code, pending.request));
      return;
    }
    pending.resolve(m['Response'] ?? {});
  }

  #fail(error: QuorumError): void {
    if (this.#closedError !== null) return;
    this.#closedError = error;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.cleanup();
      p.reject(error);
    }
  }
}

function cancelled(req: RpcRequest): QuorumError {
  return new QuorumError('cancelled', `${req.type}.${req.request} was cancelled. If Juju had already received it, it may still take effect.`);
}
