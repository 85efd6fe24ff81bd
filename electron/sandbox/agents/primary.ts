import type { JujuDbClient } from '../../services/mongo/juju-db-client';
import { isPrimary, openMember, type MemberAuth, type MemberEndpoint } from '../seed/seed-db';

/**
 * A client to whichever juju-db member is the primary now, for the
 * sandbox's workers that run "in the state server" (the provisioner):
 * found with `isMaster.ismaster` (the form 2.4 and 6.0 both answer), kept
 * while it works, dropped after any failure so the next use looks again.
 * While there is no primary, `get` answers null at once for a short while
 * instead of probing every member again.
 */

const CONNECT_TIMEOUT_MS = 2_000;
const NO_PRIMARY_BACKOFF_MS = 300;

export class PrimaryClient {
  #current: { readonly port: number; readonly client: JujuDbClient } | null = null;
  #noPrimaryUntil = 0;
  #closed = false;

  constructor(
    private readonly auth: MemberAuth,
    private readonly members: () => readonly MemberEndpoint[],
  ) {}

  /** The primary's client, or null when none is reachable now. */
  async get(): Promise<JujuDbClient | null> {
    if (this.#closed) return null;
    const running = this.members().filter((m) => m.port > 0);
    const current = this.#current;
    if (current !== null && running.some((m) => m.port === current.port)) return current.client;
    await this.drop();
    if (Date.now() < this.#noPrimaryUntil) return null;
    for (const member of running) {
      let client: JujuDbClient | null = null;
      try {
        client = await openMember(member.port, this.auth, CONNECT_TIMEOUT_MS);
        if (await isPrimary(client)) {
          if (this.#closed) break;
          this.#current = { port: member.port, client };
          return client;
        }
      } catch {
        // Stopped, unhealthy or still starting: try the next member.
      }
      await client?.close().catch(() => undefined);
    }
    this.#noPrimaryUntil = Date.now() + NO_PRIMARY_BACKOFF_MS;
    return null;
  }

  /** Runs `fn` on the primary; null when there is none. A failure drops the client (it may have stepped down). */
  async run<T>(fn: (client: JujuDbClient) => Promise<T>): Promise<T | null> {
    const client = await this.get();
    if (client === null) return null;
    try {
      return await fn(client);
    } catch (err) {
      await this.drop();
      throw err;
    }
  }

  async drop(): Promise<void> {
    const current = this.#current;
    this.#current = null;
    await current?.client.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.drop();
  }
}
