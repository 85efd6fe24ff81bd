import type { Document } from 'bson';
import type { JujuDbClient, Namespace } from '../../services/mongo/juju-db-client';
import { parseMachineDoc, parseStateServersDoc, parseStatusDoc, type JujuMachineRecord, type JujuStateServersRecord } from '../../../shared/model/juju-documents';

/**
 * Reading (and a few writes of) Juju 1.25's documents as the sandbox's
 * agents need them: machines with their life, jobs, votes and addresses;
 * machine agent statuses; the `stateServers` documents (`e` and
 * `apiHostPorts`). Field names follow 1.25's bson tags (see
 * seed/juju-docs.ts, which writes the same documents).
 */

export const juju = (collection: string): Namespace => ({ db: 'juju', collection });

export const MACHINES = juju('machines');
export const INSTANCE_DATA = juju('instanceData');
export const STATUSES = juju('statuses');
export const STATE_SERVERS = juju('stateServers');
export const UNITS = juju('units');

/** Juju's `state.Life` values as stored. */
export const LIFE = { alive: 0, dying: 1, dead: 2 } as const;

/** A machine document plus what the agents need that the shared parser leaves out. */
export interface MachineState extends JujuMachineRecord {
  /** `principals`: units assigned to the machine. */
  readonly principals: readonly string[];
  /** The machine's cloud-local address (`addresses`/`machineaddresses` with scope local-cloud), or null. */
  readonly cloudLocalAddress: string | null;
}

export function parseMachineState(doc: Document): MachineState | null {
  const base = parseMachineDoc(doc);
  if (base === null) return null;
  const principals = Array.isArray(doc['principals']) ? doc['principals'].filter((p): p is string => typeof p === 'string') : [];
  return { ...base, principals, cloudLocalAddress: cloudLocalAddress(doc) };
}

/** `network.SelectInternalAddress`: the first cloud-local address Juju knows for the machine. */
export function cloudLocalAddress(doc: Document): string | null {
  const all = [...asList(doc['addresses']), ...asList(doc['machineaddresses'])];
  for (const raw of all) {
    if (raw === null || typeof raw !== 'object') continue;
    const a = raw as Record<string, unknown>;
    if (typeof a['value'] === 'string' && (a['networkscope'] === 'local-cloud' || a['networkscope'] === undefined)) return a['value'];
  }
  return null;
}

function asList(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

export async function readMachines(client: JujuDbClient, envUuid: string, filter: Document = {}): Promise<MachineState[]> {
  const docs = await client.find(MACHINES, { 'env-uuid': envUuid, ...filter }, { secondaryOk: false }).toArray();
  return docs.flatMap((d) => {
    const m = parseMachineState(d);
    return m === null ? [] : [m];
  });
}

/** Machine agent statuses (`<uuid>:m#<id>` → `pending`, `started`…) for the given machines. */
export async function readMachineStatuses(client: JujuDbClient, envUuid: string, ids: readonly string[]): Promise<Map<string, string>> {
  const docs = await client.find(STATUSES, { _id: { $in: ids.map((id) => statusId(envUuid, id)) } }, { secondaryOk: false }).toArray();
  const out = new Map<string, string>();
  for (const d of docs) {
    const s = parseStatusDoc(d);
    if (s !== null) out.set(s.machineId, s.status);
  }
  return out;
}

export async function readStateServers(client: JujuDbClient): Promise<JujuStateServersRecord> {
  return parseStateServersDoc(await client.findOne(STATE_SERVERS, { _id: 'e' }, { secondaryOk: false }));
}

export function statusId(envUuid: string, machineId: string): string {
  return `${envUuid}:m#${machineId}`;
}

export function machineDocId(envUuid: string, machineId: string): string {
  return `${envUuid}:${machineId}`;
}

/** Sets a machine agent's status as `SetStatus` does (`updated` in ns since the epoch, as the seed writes it). */
export async function setMachineStatus(client: JujuDbClient, envUuid: string, machineId: string, status: string): Promise<void> {
  await client.update(
    STATUSES,
    { _id: statusId(envUuid, machineId) },
    { $set: { 'env-uuid': envUuid, status, statusinfo: '', statusdata: {}, updated: Date.now() * 1_000_000 } },
    { upsert: true },
  );
}
