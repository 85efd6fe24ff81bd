import { MongoServerError, ReadPreference, type Db, type Document, type MongoClient } from 'mongodb';
import {
  parseInstanceDoc,
  parseMachineDoc,
  parseStateServersDoc,
  parseStatusDoc,
} from '../../../shared/model/juju-documents';
import { parseReplSetConfig, parseReplSetStatus } from '../../../shared/model/replica-set';
import type { JujuFacts, ReplicaSetFacts } from '../../../shared/model/topology';
import { presenceDb, type PresenceReader } from './presence-reader';

/**
 * One round of reads against one state server's juju-db: the replica set's
 * status and config, and the few Juju collections `juju status` itself
 * reads. Everything is read in parallel over the one client, and every read
 * allows a secondary (`primaryPreferred`), so a member that lost its primary
 * still answers — that is exactly when an operator needs the view most.
 */

export interface RoundFacts {
  readonly juju: JujuFacts;
  readonly replicaSet: ReplicaSetFacts | null;
}

const READ = { readPreference: ReadPreference.PRIMARY_PREFERRED } as const;

/** MongoDB's NotYetInitialized: juju-db runs but the replica set was never initiated. */
const NOT_YET_INITIALIZED = 94;

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
 * Driver errors are thrown as they are: the connection layer's `withMongo`
 * turns them into operator-facing errors (authentication, TLS, unavailable).
 * Presence is best effort: when it cannot be read, machines keep the status
 * Juju recorded (`presence: null`) rather than the round failing.
 *
 * @param presence the environment's presence reader (it caches beings across rounds); without one, presence is not read.
 */
export async function readRound(client: MongoClient, presence?: PresenceReader, now: () => number = Date.now): Promise<RoundFacts> {
  const admin = client.db('admin');
  const juju = client.db('juju');
  const pdb = presenceDb(client);
  const clientNow = now();
  // With the environment known from an earlier round, the pings are read alongside everything else.
  const knownEnv = presence?.envUuid ?? null;
  const early = presence && knownEnv !== null ? settle(presence.fetchPings(pdb, knownEnv, clientNow)) : null;
  const [replicaSet, machines, instances, statuses, stateServers] = await Promise.all([
    readReplicaSet(admin),
    juju.collection('machines').find({}, { ...READ, projection: MACHINE_FIELDS }).toArray(),
    juju.collection('instanceData').find({}, READ).toArray(),
    // Machine agent statuses only (`<env-uuid>:m#<id>`), not the units'.
    juju.collection('statuses').find({ _id: { $regex: ':m#[^#]+$' } } as never, READ).toArray(),
    juju.collection('stateServers').findOne({ _id: 'e' } as never, READ),
  ]);
  const machineRecords = compact(machines.map(parseMachineDoc));
  let presenceMap: Map<string, boolean> | null = null;
  const envUuid = envUuidOf(stateServers, machines);
  if (presence && envUuid !== null) {
    const pings = envUuid === knownEnv && early !== null ? await early : await settle(presence.fetchPings(pdb, envUuid, clientNow));
    const serverNow = replicaSet?.serverTimeMs ?? now();
    if (pings !== null) {
      presenceMap = await presence
        .machinePresence(
          pdb,
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

async function readReplicaSet(admin: Db): Promise<{ facts: ReplicaSetFacts; serverTimeMs: number | null } | null> {
  try {
    const [status, config] = await Promise.all([
      admin.command({ replSetGetStatus: 1 }, READ),
      admin.command({ replSetGetConfig: 1 }, READ),
    ]);
    const date: unknown = status['date'];
    return {
      facts: { status: parseReplSetStatus(status), config: parseReplSetConfig(config) },
      serverTimeMs: date instanceof Date && Number.isFinite(date.getTime()) ? date.getTime() : null,
    };
  } catch (error) {
    if (error instanceof MongoServerError && error.code === NOT_YET_INITIALIZED) return null;
    throw error;
  }
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
