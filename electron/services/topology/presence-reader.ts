import type { JujuDbClient, Namespace } from '../mongo/juju-db-client';
import {
  BEINGS_COLLECTION,
  PINGS_COLLECTION,
  PRESENCE_DB,
  PRESENCE_PERIOD_SECONDS,
  aliveKeys,
  machinePresence,
  parseBeingDoc,
  parsePingsDoc,
  pingedSeqs,
  presenceDocId,
  timeSlot,
  type BeingRecord,
  type PingsRecord,
} from '../../../shared/model/presence';

/**
 * Reads Juju's agent presence the way its presence watcher does: the slot
 * documents of `presence.pings` by id (`<env-uuid>:<slot>`, never a scan —
 * Juju 1.25 never prunes that collection), and the beings that map a
 * sequence to its agent, cached because a being never changes. A poll round
 * costs one `find` on `presence.pings`; `presence.beings` is read only when
 * a sequence shows up that was not seen before (an agent (re)started).
 *
 * The slot is judged by the server's clock (`replSetGetStatus.date`), as
 * Juju corrects its own clock by the database's; the ids asked for cover
 * 60 s of skew between Quorum's machine and the state server either way.
 */

/** A secondary may answer; 64-bit integers stay `Long` (the ping bit fields use all 63 bits). */
const READ = { secondaryOk: true, keepLongs: true } as const;

const PINGS: Namespace = { db: PRESENCE_DB, collection: PINGS_COLLECTION };
const BEINGS: Namespace = { db: PRESENCE_DB, collection: BEINGS_COLLECTION };

/** Beings remembered per environment connection; far more than any environment has agents. */
const MAX_CACHED_BEINGS = 50_000;

export class PresenceReader {
  readonly #beings = new Map<string, BeingRecord>();
  #envUuid: string | null = null;

  /** The environment UUID learnt from an earlier round, if any. */
  get envUuid(): string | null {
    return this.#envUuid;
  }

  /**
   * One `find` for the slot documents around `clientNowMs`. Needs the
   * environment UUID (from this round's or an earlier round's documents).
   */
  async fetchPings(client: JujuDbClient, envUuid: string, clientNowMs: number): Promise<PingsRecord[]> {
    this.#envUuid = envUuid;
    const slot = timeSlot(clientNowMs);
    const ids = [-2, -1, 0, 1, 2].map((k) => presenceDocId(envUuid, slot + k * PRESENCE_PERIOD_SECONDS));
    const docs = await client.find(PINGS, { _id: { $in: ids } }, READ).toArray();
    return docs.flatMap((d) => {
      const parsed = parsePingsDoc(d);
      return parsed === null ? [] : [parsed];
    });
  }

  /**
   * Presence of each machine's agent at `serverNowMs`. Reads the beings of
   * sequences not seen before (one `find`, only then).
   */
  async machinePresence(
    client: JujuDbClient,
    envUuid: string,
    pings: readonly PingsRecord[],
    serverNowMs: number,
    machineIds: readonly string[],
  ): Promise<Map<string, boolean>> {
    const pinged = pingedSeqs(pings, envUuid, timeSlot(serverNowMs));
    const unknown = [...pinged.alive].filter((seq) => !this.#beings.has(presenceDocId(envUuid, seq)));
    if (unknown.length > 0) {
      const docs = await client.find(BEINGS, { _id: { $in: unknown.map((seq) => presenceDocId(envUuid, seq)) } }, READ).toArray();
      if (this.#beings.size + docs.length > MAX_CACHED_BEINGS) this.#beings.clear();
      for (const doc of docs) {
        const being = parseBeingDoc(doc);
        if (being !== null && being.envUuid === envUuid) this.#beings.set(presenceDocId(envUuid, being.seq), being);
      }
    }
    const alive = aliveKeys(pinged, (seq) => this.#beings.get(presenceDocId(envUuid, seq)));
    return machinePresence(machineIds, alive);
  }
}
