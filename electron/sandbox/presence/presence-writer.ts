import { Long } from 'bson';
import type { JujuDbClient, Namespace } from '../../services/mongo/juju-db-client';
import {
  BEINGS_COLLECTION,
  PINGS_COLLECTION,
  PRESENCE_DB,
  SEQS_COLLECTION,
  pingField,
  presenceDocId,
  toBigInt,
} from '../../../shared/model/presence';
import { isPrimary, openMember, type MemberAuth, type MemberEndpoint } from '../seed/seed-db';

/**
 * Writes the sandbox agents' presence documents through the replica set's
 * primary with Quorum's juju-db client (`connectJujuDb`: the legacy client
 * on the 2.4 profile, the driver on 6.0), as Juju's API servers do for the
 * agents logged into them, and with what 2.4 has: the `findAndModify`
 * command for the sequence, OP_INSERT and OP_UPDATE (`$set`, upsert) with
 * `getLastError`. It keeps one client to the member that last said it was
 * the primary (`isMaster.ismaster`) and looks for another one after any failure (power
 * off, failover, step-down); while there is no primary every write fails
 * fast, and the pingers retry.
 *
 * One write at a time: a ping ORs its bit into the slot's field
 * (read, then `$set`), which gives the document Juju's `$inc` gives for a
 * bit that is not set yet — and stays correct when the same slot is written
 * again after an unclear failure. (juju-db cannot `$inc` int64 values beyond
 * 2^53, which bits 53–62 are.)
 */

/** Running state-server members and their local ports. */
export type MemberLister = () => readonly MemberEndpoint[];

/** After no primary was found, writes fail at once for this long rather than probing again. */
const NO_PRIMARY_BACKOFF_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;

const SEQS: Namespace = { db: PRESENCE_DB, collection: SEQS_COLLECTION };
const BEINGS: Namespace = { db: PRESENCE_DB, collection: BEINGS_COLLECTION };
const PINGS: Namespace = { db: PRESENCE_DB, collection: PINGS_COLLECTION };

export class PresenceWriter {
  #primary: { readonly port: number; readonly client: JujuDbClient } | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #noPrimaryUntil = 0;
  #closed = false;

  constructor(
    private readonly envUuid: string,
    private readonly auth: MemberAuth,
    private readonly members: MemberLister,
  ) {}

  /** `Pinger.prepare`: a new sequence from `presence.seqs` and its being. Returns the sequence. */
  allocate(key: string): Promise<number> {
    return this.#serial(async (client) => {
      // findAndModify as a command: what Juju's mgo sends, and what 2.4 has (no findOneAndUpdate helper there).
      const reply = await client.command(
        PRESENCE_DB,
        {
          findAndModify: SEQS.collection,
          query: { _id: presenceDocId(this.envUuid, 'beings') },
          update: { $inc: { seq: Long.fromNumber(1) } },
          upsert: true,
          new: true,
        },
        { secondaryOk: false, keepLongs: true },
      );
      const counter = reply['value'] as { seq?: unknown } | null | undefined;
      const seq = toBigInt(counter?.seq);
      if (seq === null) throw new Error('presence.seqs returned no sequence');
      await client.insert(BEINGS, [{ _id: presenceDocId(this.envUuid, seq.toString()), seq: Long.fromBigInt(seq), 'env-uuid': this.envUuid, key }]);
      return Number(seq);
    });
  }

  /** `Pinger.ping`: sets `seq`'s bit under `alive` in the slot's document (upserted). */
  ping(seq: number, slot: number): Promise<void> {
    return this.#serial(async (client) => {
      const { field, bit } = pingField(seq);
      const id = presenceDocId(this.envUuid, slot);
      const current = await client.findOne(PINGS, { _id: id }, { projection: { [`alive.${field}`]: 1 }, secondaryOk: false, keepLongs: true });
      const alive = current?.['alive'] as Record<string, unknown> | undefined;
      const before = toBigInt(alive?.[field]) ?? 0n;
      if ((before & bit) === bit) return;
      await client.update(PINGS, { _id: id }, { $set: { slot: Long.fromNumber(slot), [`alive.${field}`]: Long.fromBigInt(before | bit) } }, { upsert: true });
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue.catch(() => undefined);
    await this.#drop();
  }

  #serial<T>(fn: (client: JujuDbClient) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.#closed) throw new Error('the presence writer is closed');
      const client = await this.#primaryClient();
      try {
        return await fn(client);
      } catch (error) {
        // Not the primary any more, or gone: find the primary again next time.
        await this.#drop();
        throw error;
      }
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #primaryClient(): Promise<JujuDbClient> {
    const running = this.members().filter((m) => m.port > 0);
    if (this.#primary !== null && running.some((m) => m.port === this.#primary!.port)) return this.#primary.client;
    await this.#drop();
    if (Date.now() < this.#noPrimaryUntil) throw new Error('no primary');
    for (const member of running) {
      let client: JujuDbClient | null = null;
      try {
        client = await openMember(member.port, this.auth, CONNECT_TIMEOUT_MS);
        if (await isPrimary(client)) {
          this.#primary = { port: member.port, client };
          return client;
        }
      } catch {
        // Powered off or unhealthy: try the next member.
      }
      await client?.close().catch(() => undefined);
    }
    this.#noPrimaryUntil = Date.now() + NO_PRIMARY_BACKOFF_MS;
    throw new Error('no primary');
  }

  async #drop(): Promise<void> {
    const primary = this.#primary;
    this.#primary = null;
    await primary?.client.close().catch(() => undefined);
  }
}
