import { Long, type Document } from 'bson';
import {
  EXCESSIVE_CONTENTION,
  applyIntentions,
  ensureAvailabilityIntentions,
  planToResultShape,
  seriesForNewMachines,
  type AppliedIntentions,
  type EnsureAvailabilityIntentions,
  type HaMachine,
  type HaState,
  type StateServersChanges,
} from '../../../shared/ha/ensure-availability';
import { JOB_CODES, parseMachineDoc, parseStateServersDoc } from '../../../shared/model/juju-documents';
import type { MachineJob } from '../../../shared/model/vote-status';
import { changeAllowed, nextSequence } from './blocks';
import { field } from './codec';
import { isClient, isEnvironManager, type ConnectionContext } from './context';
import { ApiError, CODES, toWireError } from './errors';
import type { Facade } from './root';
import { C, LIFE, STATE_SERVERS_KEY, type JujuState } from './state';

/**
 * `HighAvailability.EnsureAvailability` (v1) with Juju 1.25's semantics
 * (`apiserver/highavailability` `EnsureAvailabilitySingle`,
 * `state/addmachine.go` `EnsureAvailability`): block check, environment
 * tag, series of the first voting state server, then the shared intention
 * rules (`shared/ha`) and the documents Juju's transaction writes. Calls are
 * serialized per environment across every API server of the process, and
 * the `stateServers` write asserts what was read (like the txn), retried
 * three times before "state changing too quickly".
 */

export interface StateServersSpec {
  readonly environTag: string;
  readonly numStateServers: number;
  readonly constraints: Readonly<Record<string, unknown>>;
  readonly series: string;
  readonly placement: readonly string[];
}


/** `constraints.Value` JSON keys → `constraintsDoc` bson keys. */
const CONSTRAINT_KEYS: Readonly<Record<string, string>> = {
  arch: 'arch',
  container: 'container',
  'cpu-cores': 'cpucores',
  'cpu-power': 'cpupower',
  mem: 'mem',
  'root-disk': 'rootdisk',
  tags: 'tags',
  'instance-type': 'instancetype',
  networks: 'networks',
  spaces: 'spaces',
};

const locks = new Map<string, Promise<unknown>>();

/** One EnsureAvailability at a time per environment: a second call sees the first one's result. */
function serialized<T>(envUuid: string, fn: () => Promise<T>): Promise<T> {
  const run = (locks.get(envUuid) ?? Promise.resolve()).then(fn, fn);
  locks.set(envUuid, run.catch(() => undefined));
  return run;
}

export function parseSpec(raw: unknown): StateServersSpec {
  const n = field(raw, 'num-state-servers') ?? 0;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ApiError('json: cannot unmarshal value into Go value of type int');
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const placement = field(raw, 'placement');
  const constraints = field(raw, 'constraints');
  return {
    environTag: str(field(raw, 'EnvironTag')),
    numStateServers: n,
    constraints: constraints !== null && typeof constraints === 'object' ? (constraints as Record<string, unknown>) : {},
    series: str(field(raw, 'series')),
    placement: Array.isArray(placement) ? placement.map(String) : [],
  };
}

/** The `stateServers` document and every machine, with agent presence as "available". */
export async function readHaState(ctx: ConnectionContext): Promise<HaState & { readonly topId: number }> {
  const { state, agentAlive } = ctx.server;
  const stateServers = parseStateServersDoc(await state.findOne(C.stateServers, { _id: STATE_SERVERS_KEY }));
  const docs = await state.find(C.machines, { 'env-uuid': state.envUuid });
  const parsed = docs.flatMap((d) => {
    const m = parseMachineDoc(d);
    return m === null ? [] : [m];
  });
  const alive = await agentAlive(parsed.map((m) => m.id));
  const machines: HaMachine[] = parsed.map((m) => ({ id: m.id, jobs: m.jobs, noVote: m.noVote, hasVote: m.hasVote, series: m.series, available: alive.get(m.id) === true }));
  const topId = parsed.reduce((max, m) => Math.max(max, Number.parseInt(m.id.split('/')[0] ?? '', 10) || 0), -1);
  return { stateServers, machines, topId };
}

/** New machine ids from Juju's `machine` sequence; a sandbox seeded without one starts it after the highest id. */
async function newMachineIds(state: JujuState, count: number, topId: number): Promise<string[]> {
  if (count === 0) return [];
  return state.run(async (client) => {
    const id = `${state.envUuid}:machine`;
    if ((await client.findOne(C.sequence, { _id: id }, { secondaryOk: false })) === null) {
      await client.insert(C.sequence, [{ _id: id, name: 'machine', 'env-uuid': state.envUuid, counter: topId + 1 }]).catch(() => undefined);
    }
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push(String(await nextSequence(client, state.envUuid, 'machine')));
    return ids;
  });
}

/** A machine Juju's `insertNewMachineOps` creates for ensure-availability: no instance, nonce, address or agent yet. */
export function newMachineDoc(envUuid: string, id: string, series: string, jobs: readonly MachineJob[], placement: string): Document {
  return {
    _id: `${envUuid}:${id}`,
    machineid: id,
    'env-uuid': envUuid,
    nonce: '',
    series,
    containertype: '',
    principals: [],
    life: LIFE.alive,
    jobs: jobs.map((j) => JOB_CODES[j]),
    novote: false,
    hasvote: false,
    passwordhash: '',
    clean: true,
    addresses: [],
    machineaddresses: [],
    supportedcontainersknown: false,
    ...(placement !== '' ? { placement } : {}),
    'txn-revno': 2,
  };
}

function constraintsDoc(envUuid: string, id: string, constraints: Readonly<Record<string, unknown>>): Document {
  const doc: Document = { _id: `${envUuid}:m#${id}`, 'env-uuid': envUuid };
  for (const [key, value] of Object.entries(constraints)) {
    const bsonKey = CONSTRAINT_KEYS[key];
    if (bsonKey !== undefined && value !== null && value !== undefined) doc[bsonKey] = value;
  }
  return { ...doc, 'txn-revno': 2 };
}

/** Writes what the txn writes; false when `stateServers` changed since it was read (the txn's assert). */
async function commit(state: JujuState, before: HaState, applied: AppliedIntentions, series: string, spec: StateServersSpec): Promise<boolean> {
  return state.run(async (client) => {
    const asserted = await client.update(
      C.stateServers,
      { _id: STATE_SERVERS_KEY, machineids: [...before.stateServers.machineIds], votingmachineids: [...before.stateServers.votingMachineIds] },
      { $set: { machineids: [...applied.stateServers.machineIds], votingmachineids: [...applied.stateServers.votingMachineIds] }, $inc: { 'txn-revno': 1 } },
    );
    if (asserted.matched === 0) return false;
    for (const m of applied.machines) {
      if (m.inserted) {
        await client.insert(C.machines, [newMachineDoc(state.envUuid, m.id, series, m.jobs, m.placement ?? '')]);
        await client.insert(C.constraints, [constraintsDoc(state.envUuid, m.id, spec.constraints)]);
        const updated = Long.fromBigInt(BigInt(Date.now()) * 1_000_000n);
        await client.insert(C.statuses, [{ _id: state.docId(`m#${m.id}`), 'env-uuid': state.envUuid, status: 'pending', statusinfo: '', statusdata: {}, updated, 'txn-revno': 2 }]);
      } else {
        await client.update(C.machines, { _id: state.docId(m.id) }, { $set: { jobs: m.jobs.map((j) => JOB_CODES[j]), novote: m.noVote }, $inc: { 'txn-revno': 1 } });
      }
    }
    return true;
  });
}

function specError(message: string): ApiError {
  // The cause of "can't find machine…" is NotFound, which the annotation keeps.
  return new ApiError(message, /can't find machine .* not found$/.test(message) ? CODES.notFound : '');
}

/** `EnsureAvailabilitySingle`. */
export async function ensureAvailabilitySingle(ctx: ConnectionContext, spec: StateServersSpec): Promise<StateServersChanges> {
  const { state } = ctx.server;
  await changeAllowed(state);
  if (spec.environTag !== '') {
    const uuid = /^environment-(.+)$/.exec(spec.environTag)?.[1];
    if (uuid === undefined) throw new ApiError(`invalid environment tag: ${JSON.stringify(spec.environTag)} is not a valid environment tag`);
    if (uuid !== state.envUuid) throw new ApiError('environment not found', CODES.notFound);
  }
  return serialized(state.envUuid, async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await readHaState(ctx);
      const series = seriesForNewMachines(current, spec.series);
      if (!series.ok) throw new ApiError(series.error);
      const intentions = ensureAvailabilityIntentions({ ...current, numStateServers: spec.numStateServers, placement: spec.placement });
      if (!intentions.ok) throw specError(intentions.error);
      if (intentions.value.noOp) return {};
      const ids = await newMachineIds(state, intentions.value.add, current.topId);
      const applied = applyIntentions(current, intentions.value, ids);
      if (!applied.ok) continue;
      if (await commit(state, current, applied.value, series.value, spec)) return resultOf(intentions.value, ids);
    }
    throw new ApiError(EXCESSIVE_CONTENTION, CODES.excessiveContention);
  });
}

function resultOf(intentions: EnsureAvailabilityIntentions, ids: readonly string[]): StateServersChanges {
  return planToResultShape(intentions, ids);
}

/** `EnsureAvailability(StateServersSpecs)`: one result per spec; per-spec errors inside, the call itself succeeds. */
export async function ensureAvailability(ctx: ConnectionContext, params: unknown): Promise<unknown> {
  const specs = field(params, 'Specs');
  // Params are decoded before the call: a malformed spec fails the whole request.
  const list = (Array.isArray(specs) ? specs : []).map(parseSpec);
  const Results = [];
  for (const spec of list) {
    try {
      Results.push({ Result: await ensureAvailabilitySingle(ctx, spec), Error: null });
    } catch (err) {
      Results.push({ Result: {}, Error: toWireError(err) });
    }
  }
  return { Results };
}

/** `HighAvailability` v1: users and environ-manager machine agents. */
export const highAvailabilityFacade: Facade<ConnectionContext> = {
  name: 'HighAvailability',
  version: 1,
  allow: (ctx) => isClient(ctx) || isEnvironManager(ctx),
  methods: { EnsureAvailability: ensureAvailability },
};
