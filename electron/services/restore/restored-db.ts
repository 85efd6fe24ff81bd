import type { Document } from 'bson';
import { QuorumError } from '../../../shared/errors';
import type { SecretRegistry } from '../../../shared/redact';
import type { StateServerSession } from '../connection/state-server-session';
import type { JujuDbClient, Namespace } from '../mongo/juju-db-client';
import { connectJujuDb } from '../mongo/mongo-client';
import { MongoTunnel } from '../mongo/tunnel';

/**
 * juju-db on the replacement after mongorestore, reached as Juju's restore
 * reaches it (`newDialInfo`, reference §4.3): user `admin` with the backup's
 * agent.conf `oldpassword`, else the agent tag with its password, over TLS
 * with the backup's CA, through an SSH tunnel to 37017 on the replacement.
 * Then the fix-ups of reference §2.1 step 9 / §2.2 steps 10–12, and the
 * `juju.restoreInfo` status document (§2.2).
 */

export const RESTORE_INFO: Namespace = { db: 'juju', collection: 'restoreInfo' };
const MACHINES: Namespace = { db: 'juju', collection: 'machines' };
const INSTANCE_DATA: Namespace = { db: 'juju', collection: 'instanceData' };
const STATE_SERVERS: Namespace = { db: 'juju', collection: 'stateServers' };
export const JUJU_DB_PORT = 37017;

export type RestoreStatus = 'PENDING' | 'RESTORING' | 'RESTORED' | 'CHECKED' | 'FAILED';

export interface AdminLogin {
  readonly tag: string;
  readonly oldpassword: string;
  readonly apipassword: string;
  readonly statepassword: string;
  readonly cacert: string;
}

export interface RestoredDb {
  readonly client: JujuDbClient;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens admin (or agent) on the replacement's juju-db; retries while mongod starts (Juju: 100 tries 5 s apart; here bounded by `timeoutMs`). */
/**
 * `alternateCaPem`: a rehearsal's throwaway sandbox serves juju-db with its own
 * CA rather than the backup's, so a TLS refusal with the backup's CA is
 * retried with it; a real restore passes none.
 */
export async function openRestoredDb(session: StateServerSession, login: AdminLogin, secrets: SecretRegistry, timeoutMs = 60_000, alternateCaPem: string | null = null): Promise<RestoredDb> {
  const tunnel = await MongoTunnel.open(() => session.forwardOut('127.0.0.1', JUJU_DB_PORT));
  const [user, password] = login.oldpassword ? ['admin', login.oldpassword] : [login.tag, login.apipassword || login.statepassword];
  const deadline = Date.now() + timeoutMs;
  let caPem = login.cacert;
  for (let attempt = 0; ; attempt++) {
    try {
      const client = await connectJujuDb(
        { port: tunnel.port, user, password, caPem, authSource: 'admin', appName: 'quorum-restore', connectTimeoutMs: 5_000 },
        { address: session.address, user, caSource: "the backup's agent.conf cacert" },
        secrets,
      );
      return {
        client,
        close: async () => {
          await client.close().catch(() => undefined);
          await tunnel.close();
        },
      };
    } catch (error) {
      const qe = error instanceof QuorumError ? error : null;
      if (qe?.code === 'tls-failed' && alternateCaPem && caPem !== alternateCaPem) {
        caPem = alternateCaPem;
        continue;
      }
      if (Date.now() > deadline || qe?.code === 'mongo-auth-failed' || qe?.code === 'tls-failed') {
        await tunnel.close();
        throw error;
      }
      await sleep(Math.min(2_000, 200 * (attempt + 1)));
    }
  }
}

/** `rs.initiate` of the one-member set `juju` (member `_id` 1, tag `juju-machine-id: "0"` as `agent.BootstrapMachineId`), then waits for primary. */
export async function initiateReplicaSet(client: JujuDbClient, address: string, timeoutMs = 60_000): Promise<Document> {
  const config = { _id: 'juju', version: 1, members: [{ _id: 1, host: `${address}:${JUJU_DB_PORT}`, tags: { 'juju-machine-id': '0' } }] };
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      await client.command('admin', { replSetInitiate: config });
      break;
    } catch (error) {
      last = error;
      if (/already initialized/i.test(String((error as Error).message))) break;
      await sleep(500);
    }
  }
  while (Date.now() < deadline) {
    const hello = await client.command('admin', { isMaster: 1 }).catch(() => null);
    if (hello?.ismaster === true) return config;
    await sleep(200);
  }
  throw new QuorumError('mongo-unavailable', `The restored juju-db on ${address} did not become primary of the one-member replica set "juju" within ${Math.round(timeoutMs / 1000)} s${last ? `: ${String((last as Error).message)}` : ''}.`);
}

export interface FixupResult {
  readonly removedStateServers: readonly string[];
  readonly machineDocFound: boolean;
}

/**
 * The restored machine gets the new instance id and addresses (machines,
 * instanceData); as the legacy plugin does, every other machine with a vote
 * is removed and `stateServers` lists only the restored machine, so the
 * environment comes back with exactly one state server (the 1.25 server-side
 * restore leaves them for ensure-availability to demote; the seed and the
 * issue want one state server afterwards).
 */
export async function fixUpMachines(client: JujuDbClient, machineId: string, address: string, instanceId: string | null): Promise<FixupResult> {
  const addr = (origin: string) => ({ value: address, addresstype: address.includes(':') ? 'ipv6' : 'ipv4', networkscope: 'local-cloud', origin });
  const set: Document = { addresses: [addr('provider')], machineaddresses: [addr('machine')], preferredpublicaddress: addr('provider'), preferredprivateaddress: addr('provider'), hasvote: true, novote: false };
  if (instanceId) set.instanceid = instanceId;
  const updated = await client.update(MACHINES, { machineid: machineId }, { $set: set });
  if (instanceId) await client.update(INSTANCE_DATA, { machineid: machineId }, { $set: { instanceid: instanceId } });
  const others = await client.find(MACHINES, { hasvote: true, machineid: { $ne: machineId } }).toArray();
  const removedStateServers = others.map((d) => String(d.machineid));
  if (removedStateServers.length > 0) {
    await client.remove(MACHINES, { machineid: { $in: removedStateServers } });
    await client.remove(INSTANCE_DATA, { machineid: { $in: removedStateServers } });
  }
  await client.update(STATE_SERVERS, { _id: 'e' }, { $set: { machineids: [machineId], votingmachineids: [machineId] } });
  return { removedStateServers, machineDocFound: updated.matched > 0 };
}

/**
 * Writes `juju.restoreInfo` `{_id: "current", status}`, keeping Juju's order
 * rules (RESTORING only from PENDING, CHECKED only from RESTORED; FAILED from
 * anything): a wrong order fails with Juju's words.
 */
/** Writes `juju.restoreInfo`'s status; FAILED carries the reason (Juju reads only `status`; a later status drops it). */
export async function setRestoreStatus(client: JujuDbClient, status: RestoreStatus, reason?: string): Promise<void> {
  const current = (await client.findOne(RESTORE_INFO, { _id: 'current' }))?.status as string | undefined;
  const from: Partial<Record<RestoreStatus, string>> = { RESTORING: 'PENDING', CHECKED: 'RESTORED' };
  const required = from[status];
  if (required !== undefined && current !== required) {
    throw new QuorumError('conflict', `cannot set restore status to "${status}": Another status change occurred concurrently`);
  }
  const change = reason === undefined ? { $set: { status }, $unset: { reason: '' } } : { $set: { status, reason } };
  await client.update(RESTORE_INFO, { _id: 'current' }, change, { upsert: true });
}

export async function readRestoreStatus(client: JujuDbClient): Promise<string | null> {
  return ((await client.findOne(RESTORE_INFO, { _id: 'current' }))?.status as string | undefined) ?? null;
}

export interface MachineToUpdate {
  readonly machineId: string;
  readonly address: string | null;
}

/** Juju's `JobManageEnviron` code in machine documents. */
const JOB_MANAGE_ENVIRON = 2;
const DEAD = 2;

/** `st.AllMachines()` that are not `IsManager()` and not Dead, with their preferred address (reference §2.3). */
export async function machinesToUpdate(client: JujuDbClient): Promise<MachineToUpdate[]> {
  const docs = await client.find(MACHINES, {}).toArray();
  return docs
    .filter((d) => !((d.jobs as unknown[] | undefined) ?? []).map(Number).includes(JOB_MANAGE_ENVIRON) && Number(d.life) !== DEAD)
    .map((d) => {
      const pref = d.preferredprivateaddress as { value?: string } | undefined;
      const first = (d.addresses as Array<{ value?: string }> | undefined)?.[0];
      return { machineId: String(d.machineid), address: pref?.value || first?.value || null };
    })
    .sort((a, b) => a.machineId.localeCompare(b.machineId, undefined, { numeric: true }));
}
