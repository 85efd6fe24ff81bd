/**
 * The result of `HighAvailability.EnsureAvailability` and how the 1.25 CLI
 * prints it, so a plan preview and the API's answer are shown in the same
 * words by the same function. Sources (juju/juju, 1.25 line):
 * - `apiserver/params/params.go` `StateServersChanges` (JSON keys `added`,
 *   `maintained`, `removed`, `promoted`, `demoted`, `converted`, all
 *   `omitempty`; values are machine TAGS, `machine-1`);
 * - `apiserver/highavailability/highavailability.go` `stateServersChanges`
 *   (ids → tags);
 * - `cmd/juju/commands/ensureavailability.go` `formatSimple` and
 *   `machineTagsToIds` (tags → ids; unparsable tags skipped).
 */

import type { EnsureAvailabilityIntentions } from './ensure-availability';
import { machineIdFromTag, machineTag } from './placement';

/** `params.StateServersChanges` as it travels in JSON (empty lists are omitted). */
export interface StateServersChanges {
  readonly added?: readonly string[];
  readonly maintained?: readonly string[];
  readonly removed?: readonly string[];
  readonly promoted?: readonly string[];
  readonly demoted?: readonly string[];
  readonly converted?: readonly string[];
}

type ChangeKey = keyof StateServersChanges;

/** `formatSimple`'s order and wording (1.24+: colons everywhere, and a converting line). */
const LINES: readonly (readonly [ChangeKey, string])[] = [
  ['maintained', 'maintaining machines'],
  ['added', 'adding machines'],
  ['removed', 'removing machines'],
  ['promoted', 'promoting machines'],
  ['demoted', 'demoting machines'],
  ['converted', 'converting machines'],
];

const KEYS: readonly ChangeKey[] = LINES.map(([key]) => key);

/**
 * `juju ensure-availability --format simple`: one line per non-empty list,
 * ids joined with ", ". A no-op prints nothing (an empty array here).
 */
export function formatEnsureAvailabilityResult(result: StateServersChanges): string[] {
  const lines: string[] = [];
  for (const [key, label] of LINES) {
    const ids = tagsToIds(result[key]);
    if (ids.length > 0) lines.push(`${label}: ${ids.join(', ')}`);
  }
  return lines;
}

/**
 * The API result the server would return for these intentions, with
 * `newIds` for the machines it creates. A no-op returns `{}` (Juju returns
 * the zero value when the txn is skipped). Empty lists are omitted, as
 * `omitempty` does on the wire.
 */
export function planToResultShape(intentions: EnsureAvailabilityIntentions, newIds: readonly string[]): StateServersChanges {
  if (intentions.noOp) return {};
  const lists: Record<ChangeKey, readonly string[]> = {
    added: newIds.slice(0, intentions.add),
    maintained: intentions.maintain,
    removed: intentions.remove,
    promoted: intentions.promote,
    demoted: intentions.demote,
    converted: intentions.convert,
  };
  const result: Partial<Record<ChangeKey, readonly string[]>> = {};
  for (const key of KEYS) {
    if (lists[key].length > 0) result[key] = lists[key].map(machineTag);
  }
  return result;
}

export interface ChangesComparison {
  readonly same: boolean;
  /** One sentence per list that differs, e.g. `demoting machines: preview 3, result 3, 4`. */
  readonly differences: readonly string[];
}

/**
 * Whether the API did what the preview said. Lists compare as sets of ids;
 * `added` compares by count only, because new ids come from Juju's machine
 * sequence at commit time and the preview can only guess them.
 */
export function sameChanges(preview: StateServersChanges, result: StateServersChanges): ChangesComparison {
  const differences: string[] = [];
  for (const [key, label] of LINES) {
    const a = tagsToIds(preview[key]);
    const b = tagsToIds(result[key]);
    const same = key === 'added' ? a.length === b.length : a.length === b.length && a.every((id) => b.includes(id));
    if (!same) differences.push(`${label}: preview ${a.join(', ') || 'none'}, result ${b.join(', ') || 'none'}`);
  }
  return { same: differences.length === 0, differences };
}

function tagsToIds(tags: readonly string[] | undefined): string[] {
  return (tags ?? []).flatMap((tag) => {
    const id = machineIdFromTag(tag);
    return id === null ? [] : [id];
  });
}
