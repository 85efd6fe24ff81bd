/**
 * Juju 1.25's `ensure-availability` rules, as one pure module shared by the
 * sandbox's Juju API server (which applies them), and the renderer's plan
 * preview (which must predict exactly what the server will do). Sources
 * (juju/juju, 1.25 line):
 * - `state/addmachine.go` `EnsureAvailability`, `ensureAvailabilityIntentions`,
 *   `ensureAvailabilityIntentionOps`, `maintainStateServersOps`,
 *   `promote/demote/convert/removeStateServerOps`;
 * - `apiserver/highavailability/highavailability.go` `EnsureAvailabilitySingle`;
 * - `cmd/juju/commands/ensureavailability.go` `Init`.
 * Errors are Juju's own words, since operators search for them.
 */

import type { JujuStateServersRecord } from '../model/juju-documents';
import { managesEnviron, wantsVote, type MachineJob, type VoteFlags } from '../model/vote-status';
import { goQuote, isContainerMachineId, MACHINE_SCOPE, parsePlacement } from './placement';

export { formatEnsureAvailabilityResult, planToResultShape, sameChanges, type StateServersChanges } from './changes';
export { availableCounts, rerunHazard, type CountStop, type RerunHazard } from './guards';

/** `replicaset.MaxPeers`: MongoDB 2.4 allows at most 7 voting members. */
export const MAX_STATE_SERVERS = 7;

/** What `st.run` wraps every error from the txn builder in (so users see it first). */
export const FAILED_TO_CREATE = 'failed to create new state server machines';

/** `jujutxn.ErrExcessiveContention`, after the third aborted attempt. */
export const EXCESSIVE_CONTENTION = 'state changing too quickly; try again soon';

export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** A machine as the rules see it: its vote flags plus agent presence. */
export interface HaMachine extends VoteFlags {
  readonly id: string;
  /** `Machine.AgentPresence()`: 1.25's only test of "available" (Mongo health is a TODO, #1271504). */
  readonly available: boolean;
  readonly series?: string | null;
}

/** The `stateServers` document plus every machine (state servers and `--to` candidates). */
export interface HaState {
  readonly stateServers: JujuStateServersRecord;
  readonly machines: readonly HaMachine[];
}

export interface EnsureAvailabilityInput extends HaState {
  /** `-n`; 0 means "the current voting count, or 3". */
  readonly numStateServers: number;
  /** Directives as the API receives them (see `parseCliPlacement`). */
  readonly placement?: readonly string[];
}

export interface EnsureAvailabilityIntentions {
  readonly desired: number;
  /** Nothing to do: Juju skips the txn (`ErrNoOperations`) and returns empty changes. */
  readonly noOp: boolean;
  readonly maintain: readonly string[];
  readonly promote: readonly string[];
  readonly demote: readonly string[];
  readonly remove: readonly string[];
  readonly convert: readonly string[];
  /** `newCount`: machines to create. */
  readonly add: number;
  /** Placement each new machine gets ('' for none); 1.25 hands out every directive in order, converted ones included. */
  readonly newPlacement: readonly string[];
  /** Sizes the txn asserts on `stateServers` when adding machines. */
  readonly basis: { readonly machineIds: number; readonly votingMachineIds: number };
}

/**
 * The `-n` checks. CLI (`Init`): odd and non-negative only. Server
 * (`EnsureAvailability`): the same rule in other words, then at most 7.
 * Returns Juju's message, or null when the count passes.
 */
export function validateStateServerCount(n: number, where: 'cli' | 'server' = 'server'): string | null {
  const oddOrZero = Number.isInteger(n) && n >= 0 && (n === 0 || n % 2 === 1);
  if (!oddOrZero) return where === 'cli' ? 'must specify a number of state servers odd and non-negative' : 'number of state servers must be odd and non-negative';
  if (where === 'server' && n > MAX_STATE_SERVERS) return `state server count is too large (allowed ${MAX_STATE_SERVERS})`;
  return null;
}

/** `-n 0` (or no `-n`): the current voting count, or 3 when that is ≤ 1; otherwise `n`. */
export function desiredStateServerCount(n: number, currentVoting: number): number {
  if (n !== 0) return n;
  return currentVoting <= 1 ? 3 : currentVoting;
}

/**
 * `EnsureAvailability`'s txn builder up to the ops: desired count, "cannot
 * reduce", the intentions per machine (table in the reference §3.3), the
 * no-op test, then filling the shortfall with promote → convert → new.
 */
export function ensureAvailabilityIntentions(input: EnsureAvailabilityInput): Outcome<EnsureAvailabilityIntentions> {
  const countError = validateStateServerCount(input.numStateServers, 'server');
  if (countError !== null) return { ok: false, error: countError };
  const { machineIds, votingMachineIds } = input.stateServers;
  const desired = desiredStateServerCount(input.numStateServers, votingMachineIds.length);
  if (votingMachineIds.length > desired) return failed('cannot reduce state server count');

  const byId = new Map(input.machines.map((m) => [m.id, m]));
  const placement: string[] = [];
  let convert: string[] = [];
  for (const s of input.placement ?? []) {
    const parsed = parsePlacement(s);
    if (parsed.kind === 'scope-missing') {
      placement.push(s);
      continue;
    }
    if (parsed.kind === 'scoped' && parsed.placement.scope === MACHINE_SCOPE) {
      const id = parsed.placement.directive;
      if (isContainerMachineId(id)) return failed('container placement directives not supported');
      const m = byId.get(id);
      if (m === undefined) return failed(`can't find machine for placement directive ${goQuote(s)}: machine ${id} not found`);
      if (managesEnviron(m.jobs)) return failed(`machine for placement directive ${goQuote(s)} is already a state server`);
      convert.push(id);
      placement.push(s);
      continue;
    }
    return failed(`unsupported placement directive ${goQuote(s)}`);
  }

  const maintain: string[] = [];
  let promote: string[] = [];
  const demote: string[] = [];
  const remove: string[] = [];
  let voteCount = 0;
  for (const id of machineIds) {
    const m = byId.get(id);
    if (m === undefined) return failed(`machine ${id} not found`);
    const wants = wantsVote(m);
    if (m.available) {
      if (wants) {
        maintain.push(id);
        voteCount++;
      } else promote.push(id);
    } else if (wants) demote.push(id); // novote=true; the peergrouper takes the vote away later
    else if (m.hasVote) maintain.push(id); // still votes: kept until the peergrouper removes it
    else remove.push(id); // neither wants nor has a vote: JobManageEnviron goes now
  }

  const basis = { machineIds: machineIds.length, votingMachineIds: votingMachineIds.length };
  if (voteCount === desired && remove.length === 0) {
    return { ok: true, value: { desired, noOp: true, maintain, promote, demote, remove, convert, add: 0, newPlacement: [], basis } };
  }
  promote = promote.slice(0, Math.max(0, desired - voteCount));
  voteCount += promote.length;
  convert = convert.slice(0, Math.max(0, desired - voteCount));
  voteCount += convert.length;
  const add = desired - voteCount;
  const newPlacement = Array.from({ length: add }, (_, i) => placement[i] ?? '');
  return { ok: true, value: { desired, noOp: false, maintain, promote, demote, remove, convert, add, newPlacement, basis } };
}

/** A machine document the txn inserts or updates. */
export interface MachineDocChange {
  readonly id: string;
  readonly inserted: boolean;
  readonly jobs: readonly MachineJob[];
  readonly noVote: boolean;
  readonly hasVote: boolean;
  /** Set on inserted machines only. */
  readonly placement?: string;
}

export interface AppliedIntentions {
  readonly stateServers: JujuStateServersRecord;
  /** Touched machines, in op order (promote, demote, convert, new, remove). */
  readonly machines: readonly MachineDocChange[];
}

/**
 * What `ensureAvailabilityIntentionOps` + `maintainStateServersOps` write, in
 * op order (array order follows `$addToSet`/`$pull`). Asserts as the txn
 * does; on a failed assert the caller recomputes the intentions and retries,
 * like `st.run` (3 attempts, then `EXCESSIVE_CONTENTION`).
 */
export function applyIntentions(state: HaState, intentions: EnsureAvailabilityIntentions, newMachineIds: readonly string[]): Outcome<AppliedIntentions> {
  if (intentions.noOp) return { ok: true, value: { stateServers: state.stateServers, machines: [] } };
  if (newMachineIds.length !== intentions.add) throw new RangeError(`expected ${intentions.add} new machine ids, got ${newMachineIds.length}`);
  const docs = new Map(state.machines.map((m) => [m.id, m]));
  let ids = [...state.stateServers.machineIds];
  let voting = [...state.stateServers.votingMachineIds];
  const changes: MachineDocChange[] = [];
  const addToSet = (list: string[], id: string) => (list.includes(id) ? list : [...list, id]);
  const pull = (list: string[], id: string) => list.filter((x) => x !== id);
  const aborted = (why: string): Outcome<AppliedIntentions> => ({ ok: false, error: `transaction aborted: ${why}` });
  const update = (id: string, assert: (m: HaMachine) => string | null, next: (m: HaMachine) => Omit<MachineDocChange, 'id' | 'inserted' | 'hasVote'>) => {
    const m = docs.get(id);
    if (m === undefined) return `machine ${id} not found`;
    const failure = assert(m);
    if (failure !== null) return `machine ${id}: ${failure}`;
    changes.push({ id, inserted: false, hasVote: m.hasVote, ...next(m) });
    return null;
  };

  for (const id of intentions.promote) {
    const err = update(id, (m) => (m.noVote ? null : 'novote is not true'), (m) => ({ jobs: m.jobs, noVote: false }));
    if (err !== null) return aborted(err);
    voting = addToSet(voting, id);
  }
  for (const id of intentions.demote) {
    const err = update(id, (m) => (m.noVote ? 'novote is not false' : null), (m) => ({ jobs: m.jobs, noVote: true }));
    if (err !== null) return aborted(err);
    voting = pull(voting, id);
  }
  for (const id of intentions.convert) {
    const err = update(id, (m) => (managesEnviron(m.jobs) ? 'already has JobManageEnviron' : null), (m) => ({ jobs: [...m.jobs, 'JobManageEnviron'], noVote: false }));
    if (err !== null) return aborted(err);
    voting = addToSet(voting, id);
    ids = addToSet(ids, id);
  }
  newMachineIds.forEach((id, i) => {
    changes.push({ id, inserted: true, jobs: ['JobHostUnits', 'JobManageEnviron'], noVote: false, hasVote: false, placement: intentions.newPlacement[i] ?? '' });
  });
  for (const id of intentions.remove) {
    const assert = (m: HaMachine) => (m.noVote && !m.hasVote ? null : 'novote is not true or hasvote is not false');
    const err = update(id, assert, (m) => ({ jobs: m.jobs.filter((j) => j !== 'JobManageEnviron'), noVote: false }));
    if (err !== null) return aborted(err);
    ids = pull(ids, id);
  }
  if (newMachineIds.length > 0) {
    // maintainStateServersOps asserts the sizes it read, then $addToSet $each.
    const { machineIds: n, votingMachineIds: v } = intentions.basis;
    if (state.stateServers.machineIds.length !== n || state.stateServers.votingMachineIds.length !== v) return aborted('stateServers changed size');
    for (const id of newMachineIds) {
      ids = addToSet(ids, id);
      voting = addToSet(voting, id);
    }
  }
  return { ok: true, value: { stateServers: { machineIds: ids, votingMachineIds: voting }, machines: changes } };
}

/**
 * `EnsureAvailabilitySingle`: with no `--series`, new machines take the
 * series of the first voting state server (not the environment's
 * default-series, whatever the CLI help says).
 */
export function seriesForNewMachines(state: HaState, series: string): Outcome<string> {
  if (series !== '') return { ok: true, value: series };
  const first = state.stateServers.votingMachineIds[0];
  if (first === undefined) return { ok: false, error: 'internal error, failed to find any voting machines' };
  const m = state.machines.find((x) => x.id === first);
  if (m === undefined) return { ok: false, error: `machine ${first} not found` };
  return { ok: true, value: m.series ?? '' };
}

/** Machine ids the preview may show for new machines: Juju's sequence never reuses ids, so this is only a guess. */
export function guessNewMachineIds(knownIds: readonly string[], count: number): string[] {
  const top = knownIds.reduce((max, id) => Math.max(max, Number.parseInt(id.split('/')[0] ?? '', 10) || 0), -1);
  return Array.from({ length: count }, (_, i) => String(top + 1 + i));
}

function failed(message: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error: `${FAILED_TO_CREATE}: ${message}` };
}
