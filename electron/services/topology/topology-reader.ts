import { MongoServerError, ReadPreference, type Db, type MongoClient } from 'mongodb';
import {
  parseInstanceDoc,
  parseMachineDoc,
  parseStateServersDoc,
  parseStatusDoc,
} from '../../../shared/model/juju-documents';
import { parseReplSetConfig, parseReplSetStatus } from '../../../shared/model/replica-set';
import type { JujuFacts, ReplicaSetFacts } from '../../../shared/model/topology';

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
 * Driver errors are thrown as they are: the connection layer's `withMongo`
 * turns them into operator-facing errors (authentication, TLS, unavailable).
 */
export async function readRound(client: MongoClient): Promise<RoundFacts> {
  const admin = client.db('admin');
  const juju = client.db('juju');
  const [replicaSet, machines, instances, statuses, stateServers] = await Promise.all([
    readReplicaSet(admin),
    // No projection: the sandbox's juju-db returns the projection's own values
    // for included fields (reported); the documents are small anyway, and
    // their password hashes stay in this process (the model drops them).
    juju.collection('machines').find({}, READ).toArray(),
    juju.collection('instanceData').find({}, READ).toArray(),
    // Machine agent statuses only (`<env-uuid>:m#<id>`), not the units'.
    juju.collection('statuses').find({ _id: { $regex: ':m#[^#]+$' } } as never, READ).toArray(),
    juju.collection('stateServers').findOne({ _id: 'e' } as never, READ),
  ]);
  return {
    replicaSet,
    juju: {
      machines: compact(machines.map(parseMachineDoc)),
      instances: compact(instances.map(parseInstanceDoc)),
      statuses: compact(statuses.map(parseStatusDoc)),
      stateServers: stateServers === null ? null : parseStateServersDoc(stateServers),
      presence: null,
    },
  };
}

async function readReplicaSet(admin: Db): Promise<ReplicaSetFacts | null> {
  try {
    const [status, config] = await Promise.all([
      admin.command({ replSetGetStatus: 1 }, READ),
      admin.command({ replSetGetConfig: 1 }, READ),
    ]);
    return { status: parseReplSetStatus(status), config: parseReplSetConfig(config) };
  } catch (error) {
    if (error instanceof MongoServerError && error.code === NOT_YET_INITIALIZED) return null;
    throw error;
  }
}

function compact<T>(values: readonly (T | null)[]): T[] {
  return values.filter((v): v is T => v !== null);
}
