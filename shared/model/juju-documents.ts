/**
 * Parsers for the Juju 1.25 documents the topology needs (`juju.machines`,
 * `juju.instanceData`, `juju.statuses`, `juju.stateServers`), following the
 * field names of `@1.25.6:state/machine.go`, `state/instance.go` (sic:
 * `instanceData`) and `state/status.go`. Juju 1.25 stores every document
 * with an `env-uuid` prefix in `_id`, so ids come from the explicit
 * `machineid` field where there is one.
 */

import { MACHINE_JOBS, type MachineJob } from './vote-status';
import { asArray, asRecord, toNumber } from './replica-set';

export const MACHINE_LIVES = ['alive', 'dying', 'dead'] as const;
export type MachineLife = (typeof MACHINE_LIVES)[number];

export interface JujuMachineRecord {
  readonly id: string;
  readonly series: string | null;
  readonly life: MachineLife;
  readonly jobs: readonly MachineJob[];
  readonly noVote: boolean;
  readonly hasVote: boolean;
  /** The address `juju status` shows as dns-name. */
  readonly address: string | null;
  /** Every address Juju knows for it, for matching replica-set members by host. */
  readonly addresses: readonly string[];
  /** `1.25.6` from tools `1.25.6-trusty-amd64`. */
  readonly agentVersion: string | null;
}

export interface JujuInstanceRecord {
  readonly machineId: string;
  readonly instanceId: string;
  /** The provider's instance status (`instance-state`), e.g. `ACTIVE` or `running`. */
  readonly status: string | null;
  readonly hardware: string | null;
}

export interface JujuStatusRecord {
  readonly machineId: string;
  /** `started`, `pending`, `error`, `down`, `stopped`… */
  readonly status: string;
  readonly info: string | null;
}

export interface JujuStateServersRecord {
  readonly machineIds: readonly string[];
  readonly votingMachineIds: readonly string[];
}

/** Juju's `state.MachineJob` integers (iota from 1), as machine documents store them. */
export const JOB_CODES: Readonly<Record<MachineJob, number>> = {
  JobHostUnits: 1,
  JobManageEnviron: 2,
  JobManageNetworking: 3,
  JobManageStateDeprecated: 4,
};

const JOB_BY_CODE: Readonly<Record<number, MachineJob>> = Object.fromEntries(Object.entries(JOB_CODES).map(([job, code]) => [code, job as MachineJob]));

export function parseJob(value: unknown): MachineJob | null {
  const n = toNumber(value);
  if (n !== null) return JOB_BY_CODE[n] ?? null;
  if (typeof value === 'string' && (MACHINE_JOBS as readonly string[]).includes(value)) return value as MachineJob;
  return null;
}

/** Juju's `state.Life`: 0 alive, 1 dying, 2 dead. */
export function parseLife(value: unknown): MachineLife {
  const n = toNumber(value);
  if (n === 1 || value === 'dying') return 'dying';
  if (n === 2 || value === 'dead') return 'dead';
  return 'alive';
}

export function parseMachineDoc(doc: unknown): JujuMachineRecord | null {
  const d = asRecord(doc);
  if (d === null) return null;
  const id = idOf(d, 'machineid');
  if (id === null) return null;
  const jobs = asArray(d['jobs']).flatMap((job) => {
    const parsed = parseJob(job);
    return parsed === null ? [] : [parsed];
  });
  const addresses = [...asArray(d['addresses']), ...asArray(d['machineaddresses'])].flatMap((raw) => {
    const a = parseAddress(raw);
    return a === null ? [] : [a];
  });
  const preferred = parseAddress(d['preferredpublicaddress']) ?? parseAddress(d['preferredprivateaddress']);
  const tools = asRecord(d['tools']);
  return {
    id,
    series: stringOrNull(d['series']),
    life: parseLife(d['life']),
    jobs,
    noVote: d['novote'] === true,
    hasVote: d['hasvote'] === true,
    address: preferred?.value ?? selectPublicAddress(addresses),
    addresses: unique(addresses.map((a) => a.value)),
    agentVersion: versionNumber(tools?.['version']),
  };
}

export function parseInstanceDoc(doc: unknown): JujuInstanceRecord | null {
  const d = asRecord(doc);
  if (d === null) return null;
  const machineId = idOf(d, 'machineid');
  const instanceId = stringOrNull(d['instanceid']);
  if (machineId === null || instanceId === null) return null;
  return { machineId, instanceId, status: stringOrNull(d['status']), hardware: formatHardware(d) };
}

/** Only machine agent statuses (`m#<id>`); unit and service statuses are ignored. */
export function parseStatusDoc(doc: unknown): JujuStatusRecord | null {
  const d = asRecord(doc);
  const id = typeof d?.['_id'] === 'string' ? d['_id'] : null;
  if (d === null || id === null) return null;
  const match = /(?:^|:)m#([^#]+)$/.exec(id);
  const status = stringOrNull(d['status']);
  if (!match?.[1] || status === null) return null;
  return { machineId: match[1], status, info: stringOrNull(d['statusinfo']) };
}

export function parseStateServersDoc(doc: unknown): JujuStateServersRecord {
  const d = asRecord(doc);
  const ids = (value: unknown) => asArray(value).filter((v): v is string => typeof v === 'string');
  return { machineIds: ids(d?.['machineids']), votingMachineIds: ids(d?.['votingmachineids']) };
}

/**
 * Juju's `instance.HardwareCharacteristics.String()`: the fields present, in
 * Juju's order, e.g. `arch=amd64 cpu-cores=1 mem=1024M root-disk=20480M`.
 */
export function formatHardware(doc: Readonly<Record<string, unknown>>): string | null {
  const parts: string[] = [];
  const arch = stringOrNull(doc['arch']);
  if (arch !== null) parts.push(`arch=${arch}`);
  const cores = toNumber(doc['cpucores']);
  if (cores !== null) parts.push(`cpu-cores=${cores}`);
  const power = toNumber(doc['cpupower']);
  if (power !== null) parts.push(`cpu-power=${power}`);
  const mem = toNumber(doc['mem']);
  if (mem !== null) parts.push(`mem=${mem}M`);
  const disk = toNumber(doc['rootdisk']);
  if (disk !== null) parts.push(`root-disk=${disk}M`);
  const tags = asArray(doc['tags']).filter((t): t is string => typeof t === 'string');
  if (tags.length > 0) parts.push(`tags=${tags.join(',')}`);
  const zone = stringOrNull(doc['availzone']);
  if (zone !== null) parts.push(`availability-zone=${zone}`);
  return parts.length === 0 ? null : parts.join(' ');
}

/** Sorts machine ids as Juju does: numerically, containers after their host (`0`, `0/lxc/0`, `1`, `10`). */
export function compareMachineIds(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    return x < y ? -1 : 1;
  }
  return 0;
}

interface ParsedAddress {
  readonly value: string;
  readonly scope: string;
}

function parseAddress(raw: unknown): ParsedAddress | null {
  const a = asRecord(raw);
  const value = stringOrNull(a?.['value']);
  if (a === null || value === null) return null;
  return { value, scope: stringOrNull(a['networkscope']) ?? stringOrNull(a['scope']) ?? '' };
}

/** Juju prefers a public address, then a cloud-local one, then anything but machine-local. */
function selectPublicAddress(addresses: readonly ParsedAddress[]): string | null {
  const order = ['public', 'local-cloud', '', 'local-machine', 'link-local'];
  for (const scope of order) {
    const found = addresses.find((a) => a.scope === scope);
    if (found) return found.value;
  }
  return addresses[0]?.value ?? null;
}

/** `1.25.6-trusty-amd64` → `1.25.6` (the last two fields are series and arch). */
function versionNumber(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const parts = value.split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : value;
}

function idOf(doc: Readonly<Record<string, unknown>>, field: string): string | null {
  const explicit = doc[field];
  if (typeof explicit === 'string' && explicit !== '') return explicit;
  const id = doc['_id'];
  if (typeof id !== 'string' || id === '') return null;
  // 1.25 ids are `<env-uuid>:<local id>`; older releases store the id alone.
  const colon = id.lastIndexOf(':');
  return colon === -1 ? id : id.slice(colon + 1);
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
