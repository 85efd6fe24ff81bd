import { MongoServerError, ReadPreference, type Db, type MongoClient } from 'mongodb';
import { QuorumError } from '../../../shared/errors';
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

/** Only the fields the model needs: machine documents also hold password hashes. */
const MACHINE_FIELDS = {
  machineid: 1,
  series: 1,
  life: 1,
  jobs: 1,
  novote: 1,
  hasvote: 1,
  tools: 1,
  addresses: 1,
  machineaddresses: 1,
  preferredpublicaddress: 1,
  preferredprivateaddress: 1,
} as const;

/** MongoDB's NotYetInitialized: juju-db runs but the replica set was never initiated. */
const NOT_YET_INITIALIZED = 94;

export async function readRound(client: MongoClient, address: string): Promise<RoundFacts> {
  const admin = client.db('admin');
  const juju = client.db('juju');
  try {
    const [replicaSet, machines, instances, statuses, stateServers] = await Promise.all([
      readReplicaSet(admin),
      juju.collection('machines').find({}, { ...READ, projection: MACHINE_FIELDS }).toArray(),
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
  } catch (error) {
    throw asQuorumError(error, address);
  }
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

/**
 * Driver errors become one actionable sentence. The driver's own message is
 * left out on purpose (it can quote hosts, users and internals); its code
 * name is enough to look the cause up.
 */
function asQuorumError(error: unknown, address: string): QuorumError {
  if (error instanceof QuorumError) return error;
  const codeName = error instanceof MongoServerError ? (error.codeName ?? `code ${String(error.code)}`) : error instanceof Error ? error.name : 'unknown error';
  if (error instanceof MongoServerError && (error.code === 13 || error.codeName === 'Unauthorized')) {
    return new QuorumError(
      'mongo-auth-failed',
      `juju-db on ${address} refused the status query (${codeName}): the machine agent's user lacks the rights Juju gives it. Check the agent's Mongo user on that machine.`,
      { details: { address, codeName }, cause: error },
    );
  }
  return new QuorumError(
    'mongo-unavailable',
    `juju-db on ${address} did not answer the status query (${codeName}). Quorum keeps trying; if it persists, check the juju-db service on that machine.`,
    { details: { address, codeName }, cause: error },
  );
}

function compact<T>(values: readonly (T | null)[]): T[] {
  return values.filter((v): v is T => v !== null);
}
