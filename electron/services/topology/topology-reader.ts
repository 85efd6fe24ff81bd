import type { Document } from 'bson';
import {
  parseInstanceDoc,
  parseMachineDoc,
  parseStateServersDoc,
  parseStatusDoc,
} from '../../../shared/model/juju-documents';
import { parseReplSetConfig, parseReplSetStatus } from '../../../shared/model/replica-set';
import type { JujuFacts, ReplicaSetFacts } from '../../../shared/model/topology';
import type { JujuDbClient, Namespace } from '../mongo/juju-db-client';
import type { PresenceReader } from './presence-reader';

/**
 * One round of reads against one state server's juju-db: the replica set's
 * status and config, and the few Juju collections `juju status` itself
 * reads. Everything is read in parallel over the one client, and every read
 * allows a secondary (`primaryPreferred`), so a member that lost its primary
 * still answers — that is exactly when an operator needs the view most.
 * Through `JujuDbClient`, so the same reads work on MongoDB 2.4 (what Juju
 * 1.25 runs; the config then comes from `local.system.replset`) and on
 * modern servers.
 */

export interface RoundFacts {
  readonly juju: JujuFacts;
  readonly replicaSet: ReplicaSetFacts | null;
}

const READ = { secondaryOk: true } as const;

const juju = (collection: string): Namespace => ({ db: 'juju', collection });

/** MongoDB's NotYetInitialized (3.0+): juju-db runs but the replica set was never initiated. */
const NOT_YET_INITIALIZED = 94;
/** MongoDB 2.4's `startupStatus` for "no config yet" (EMPTYCONFIG); it sends no code. */
const STARTUP_EMPTY_CONFIG = 3;

/**
 * True for replSetGetStatus's answer before the set was initiated: code 94
 * from 3.0 on; from 2.4 `{ ok: 0, startupStatus: 3, info: "run
 * rs.initiate(...) if not yet done for the set", errmsg: "can't get
 * local.system.replset config from self or any seed (EMPTYCONFIG)" }`.
 * Duck-typed: the error may come from either implementation.
 */
export function isNotYetInitialized(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; message?: unknown; reply?: unknown; errorResponse?: unknown };
  if (e.code === NOT_YET_INITIALIZED) return true;
  const reply = (typeof e.reply === 'object' && e.reply !== null ? e.reply : e.errorResponse) as Document | null | undefined;
  if (reply && (reply['startupStatus'] === STARTUP_EMPTY_CONFIG || reply['code'] === NOT_YET_INITIALIZED)) return true;
  const texts = [e.message, reply?.['errmsg'], reply?.['info']].filter((t): t is string => typeof t === 'string');
  return texts.some((t) => /run rs\.initiate|EMPTYCONFIG/.test(t));
}

/**
 * What `parseMachineDoc` reads: password hashes, nonces and the rest never
 * leave the state server.
 */
const MACHINE_FIELDS = {
  machineid: 1,
  'env-uuid': 1,
  series: 1,
  life: 1,
  jobs: 1,
  novote: 1,
  hasvote: 1,
  addresses: 1,
  machineaddresses: 1,
  preferredpublicaddress: 1,
  preferredprivateaddress: 1,
  'tools.version': 1,
} as const;

/**
 * Client errors are thrown as they are: the connection layer's `withMongo`
 * turns them into operator-facing errors (authentication, TLS, unavailable).
 * Presence is best effort: when it cannot be read, machines keep the status
 * Juju recorded (`presence: null`) rather than the round failing.
 *
 * @param presence the environment's presence reader (it caches beings across rounds); without one, presence is not read.
 */
export async function readRound(client: JujuDbClient, presence?: PresenceReader, now: () => number = Date.now): Promise<RoundFacts> {
  const clientNow = now();
  // With the environment known from an earlier round, the pings are read alongside everything else.
  const knownEnv = presence?.envUuid ?? null;
  const early = presence && knownEnv !== null ? settle(presence.fetchPings(client, knownEnv, clientNow)) : null;
  const [replicaSet, machines, instances, statuses, stateServers] = await Promise.all([
    readReplicaSet(client),
    client.find(juju('machines'), {}, { ...READ, projection: MACHINE_FIELDS }).toArray(),
    client.find(juju('instanceData'), {}, READ).toArray(),
    // Machine agent statuses only (`<env-uuid>:m#<id>`), not the units'.
    client.find(juju('statuses'), { _id: { $regex: ':m#[^#]+$' } }, READ).toArray(),
    client.findOne(juju('stateServers'), { _id: 'e' }, READ),
  ]);
  const machineRecords = compact(machines.map(parseMachineDoc));
  let presenceMap: Map<string, boolean> | null = null;
  const envUuid = envUuidOf(stateServers, machines);
  if (presence && envUuid !== null) {
    const pings = envUuid === knownEnv && early !== null ? await early : await settle(presence.fetchPings(client, envUuid, clientNow));
    const serverNow = replicaSet?.serverTimeMs ?? now();
    if (pings !== null) {
      presenceMap = await presence
        .machinePresence(
          client,
          envUuid,
          pings,
          serverNow,
          machineRecords.map((m) => m.id),
        )
        .catch(() => null);
    }
  }
  return {
    replicaSet: replicaSet?.facts ?? null,
    juju: {
      machines: machineRecords,
      instances: compact(instances.map(parseInstanceDoc)),
      statuses: compact(statuses.map(parseStatusDoc)),
      stateServers: stateServers === null ? null : parseStateServersDoc(stateServers),
      presence: presenceMap,
    },
  };
}

/**
 * Status and config, read in parallel. Before initiation the status says so
 * (see `isNotYetInitialized`) and the config has nothing to give (2.4's
 * `local.system.replset` is empty): the round then has no replica set
 * rather than failing.
 */
async function readReplicaSet(client: JujuDbClient): Promise<{ facts: ReplicaSetFacts; serverTimeMs: number | null } | null> {
  const [status, config] = await Promise.allSettled([client.command('admin', { replSetGetStatus: 1 }, READ), client.replSetGetConfig(READ)]);
  if (status.status === 'rejected') {
    if (isNotYetInitialized(status.reason)) return null;
    throw status.reason;
  }
  if (config.status === 'rejected') throw config.reason;
  const date: unknown = status.value['date'];
  return {
    facts: { status: parseReplSetStatus(status.value), config: parseReplSetConfig(config.value) },
    serverTimeMs: date instanceof Date && Number.isFinite(date.getTime()) ? date.getTime() : null,
  };
}

/** The state-server environment's UUID: the stateServers document's, else the machines'. */
function envUuidOf(stateServers: Document | null, machines: readonly Document[]): string | null {
  const candidates = [stateServers?.['env-uuid'], ...machines.map((m) => m['env-uuid'])];
  return candidates.find((v): v is string => typeof v === 'string' && v !== '') ?? null;
}

/** A promise's value, or null when it fails (presence must not fail the round). */
function settle<T>(promise: Promise<T>): Promise<T | null> {
  return promise.catch(() => null);
}

function compact<T>(values: readonly (T | null)[]): T[] {
  return values.filter((v): v is T => v !== null);
}
