import type { ConnectionManager } from '../connection/connection-manager';
import type { EnvironmentConnection } from '../connection/environment-connection';
import type { ConnectionTarget } from '../environments/target';

/**
 * The connection manager holds one environment at a time (the selected
 * one), but a scheduled backup may fall due for another. A run therefore
 * takes a lease: a connection of its own (`openDetached`) that every
 * backups call for that environment uses while the run lasts, closed when
 * it ends. The selected environment's connection is never switched by a
 * run, and switching environments during a run does not break it.
 *
 * The backups service is given this object as its `connections`; outside a
 * lease `open` is the manager's own.
 */
export class ConnectionLeases {
  readonly #manager: Pick<ConnectionManager, 'open' | 'openDetached'>;
  readonly #leased = new Map<string, EnvironmentConnection>();

  constructor(manager: Pick<ConnectionManager, 'open' | 'openDetached'>) {
    this.#manager = manager;
  }

  open(target: ConnectionTarget): EnvironmentConnection {
    const leased = this.#leased.get(target.environmentId);
    return leased && !leased.closed ? leased : this.#manager.open(target);
  }

  /** Runs `fn` with a connection of its own to the target's environment; one lease per environment at a time. */
  async withLease<T>(target: ConnectionTarget, fn: () => Promise<T>): Promise<T> {
    if (this.#leased.has(target.environmentId)) return fn();
    const connection = this.#manager.openDetached(target);
    this.#leased.set(target.environmentId, connection);
    try {
      return await fn();
    } finally {
      this.#leased.delete(target.environmentId);
      await connection.close().catch(() => undefined);
    }
  }
}
