import { JujuDbNetworkError, JujuDbTimeoutError } from '../juju-db-client';
import { abortError, type LegacyConnection, type RequestOptions } from './connection';

/**
 * Up to `maxSize` authenticated connections, opened when needed. Each
 * operation checks one out exclusively (a write and its getLastError must
 * share a connection, and the legacy protocol has one reply in flight per
 * request we track); others wait in line. A connection that died (timeout,
 * abort, server gone) is dropped on return and its slot reopened on demand.
 */

interface Waiter {
  /** A connection handed over, or undefined: a slot is free, open one. */
  resolve(connection: LegacyConnection | undefined): void;
  reject(error: Error): void;
}

export class ConnectionPool {
  private readonly idle: LegacyConnection[] = [];
  private readonly all = new Set<LegacyConnection>();
  private readonly waiters: Waiter[] = [];
  /** Connections open or being opened. */
  private size = 0;
  private closed = false;

  constructor(
    private readonly open: () => Promise<LegacyConnection>,
    private readonly maxSize: number,
    first?: LegacyConnection,
  ) {
    if (first) {
      this.size = 1;
      this.all.add(first);
      this.idle.push(first);
    }
  }

  /** Runs `fn` with a connection of its own, returning it afterwards. */
  async use<T>(options: RequestOptions, fn: (connection: LegacyConnection) => Promise<T>): Promise<T> {
    const connection = await this.acquire(options);
    try {
      return await fn(connection);
    } finally {
      this.release(connection);
    }
  }

  /** Connections currently open (for tests and diagnostics). */
  get openCount(): number {
    return this.size;
  }

  async acquire(options: RequestOptions): Promise<LegacyConnection> {
    for (;;) {
      this.checkOpen();
      if (options.signal?.aborted) throw abortError(options.signal);
      const idle = this.idle.pop();
      if (idle) {
        if (idle.alive) return idle;
        this.drop(idle);
        continue;
      }
      if (this.size < this.maxSize) return this.openOne();
      const handed = await this.wait(options);
      if (handed) return handed;
      if (this.size < this.maxSize) return this.openOne();
    }
  }

  release(connection: LegacyConnection): void {
    if (!this.all.has(connection)) return;
    if (this.closed || !connection.alive) {
      connection.destroy('connection pool closed');
      this.drop(connection);
      this.waiters.shift()?.resolve(undefined);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(connection);
    else this.idle.push(connection);
  }

  /** Closes every connection, those in use included; waiting and later operations fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const connection of this.all) connection.destroy('the client was closed');
    this.all.clear();
    this.idle.length = 0;
    this.size = 0;
    for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedError());
  }

  private async openOne(): Promise<LegacyConnection> {
    this.size++;
    let connection: LegacyConnection;
    try {
      connection = await this.open();
    } catch (error) {
      this.size--;
      this.waiters.shift()?.resolve(undefined);
      throw error;
    }
    if (this.closed) {
      connection.destroy('the client was closed');
      throw this.closedError();
    }
    this.all.add(connection);
    return connection;
  }

  private drop(connection: LegacyConnection): void {
    if (this.all.delete(connection)) this.size--;
  }

  private wait(options: RequestOptions): Promise<LegacyConnection | undefined> {
    const { signal, timeoutMs } = options;
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        resolve: (connection) => {
          settle();
          resolve(connection);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(abortError(signal!));
      const timer =
        timeoutMs > 0 ? setTimeout(() => waiter.reject(new JujuDbTimeoutError(`no juju-db connection became free within ${timeoutMs} ms`, timeoutMs)), timeoutMs) : undefined;
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): JujuDbNetworkError {
    return new JujuDbNetworkError('the juju-db client is closed');
  }
}
