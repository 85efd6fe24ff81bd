import type { Document } from 'bson';
import type { JujuDbClient, Namespace } from '../../services/mongo/juju-db-client';
import { isPrimary, openMember, type MemberAuth, type MemberEndpoint } from '../seed/seed-db';

/**
 * The API server's `State`: one juju-db client to the replica set's primary,
 * authenticated as the server's own machine (`machine-N` / agent.conf
 * `statepassword`), as jujud opens State. Like mgo in strong mode, reads and
 * writes go to the primary; after any failure the next call looks for the
 * primary again.
 */

/** Juju 1.25's collections the API server reads and writes (all in the `juju` database). */
export const C = {
  machines: ns('machines'),
  stateServers: ns('stateServers'),
  statuses: ns('statuses'),
  constraints: ns('constraints'),
  sequence: ns('sequence'),
  blocks: ns('blocks'),
  restoreInfo: ns('restoreInfo'),
  units: ns('units'),
} as const;

function ns(collection: string): Namespace {
  return { db: 'juju', collection };
}

/** `_id` of the `stateServers` document (not env-prefixed in 1.25). */
export const STATE_SERVERS_KEY = 'e';
/** `_id` of the published API addresses in `stateServers` (`state/address.go` `apiHostPortsKey`). */
export const API_HOST_PORTS_KEY = 'apiHostPorts';

/** `state.Life`. */
export const LIFE = { alive: 0, dying: 1, dead: 2 } as const;

/** mgo's answer when no member is primary. */
const NO_PRIMARY = 'no reachable servers';
const CONNECT_TIMEOUT_MS = 3_000;
const PRIMARY_WAIT_MS = 8_000;

export interface StateOptions {
  readonly envUuid: string;
  /** Running juju-db members and their local ports. */
  readonly members: () => readonly MemberEndpoint[];
  readonly auth: MemberAuth;
}

export class JujuState {
  #primary: { readonly port: number; readonly client: JujuDbClient } | null = null;
  #connecting: Promise<JujuDbClient> | null = null;
  #closed = false;

  constructor(readonly options: StateOptions) {}

  get envUuid(): string {
    return this.options.envUuid;
  }

  /** `st.docID(localId)`: `<env-uuid>:<localId>`. */
  docId(localId: string): string {
    return `${this.options.envUuid}:${localId}`;
  }

  /** Runs `fn` on the primary; a failure drops the client so the next call finds the primary again. */
  async run<T>(fn: (client: JujuDbClient) => Promise<T>): Promise<T> {
    const client = await this.#client();
    try {
      return await fn(client);
    } catch (err) {
      if (this.#primary?.client === client) await this.#drop();
      throw err;
    }
  }

  findOne(collection: Namespace, filter: Document): Promise<Document | null> {
    return this.run((c) => c.findOne(collection, filter, { secondaryOk: false }));
  }

  find(collection: Namespace, filter: Document): Promise<Document[]> {
    return this.run((c) => c.find(collection, filter, { secondaryOk: false }).toArray());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#connecting?.catch(() => undefined);
    await this.#drop();
  }

  #client(): Promise<JujuDbClient> {
    if (this.#closed) return Promise.reject(new Error('state closed'));
    const running = this.options.members().filter((m) => m.port > 0);
    const current = this.#primary;
    if (current !== null && running.some((m) => m.port === current.port)) return Promise.resolve(current.client);
    this.#connecting ??= this.#findPrimary().finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  /** Like mgo's sync timeout: waits a little for an election before giving up. */
  async #findPrimary(): Promise<JujuDbClient> {
    await this.#drop();
    const deadline = Date.now() + PRIMARY_WAIT_MS;
    for (;;) {
      const client = await this.#probe(this.options.members().filter((m) => m.port > 0));
      if (client !== null) return client;
      if (this.#closed || Date.now() >= deadline) throw new Error(NO_PRIMARY);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async #probe(running: readonly MemberEndpoint[]): Promise<JujuDbClient | null> {
    for (const member of running) {
      let client: JujuDbClient | null = null;
      try {
        client = await openMember(member.port, this.options.auth, CONNECT_TIMEOUT_MS);
        if (await isPrimary(client)) {
          this.#primary = { port: member.port, client };
          return client;
        }
      } catch {
        // Stopped, unhealthy or refusing: try the next member.
      }
      await client?.close().catch(() => undefined);
    }
    return null;
  }

  async #drop(): Promise<void> {
    const primary = this.#primary;
    this.#primary = null;
    await primary?.client.close().catch(() => undefined);
  }
}
