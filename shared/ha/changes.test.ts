import { describe, expect, it } from 'vitest';
import { formatEnsureAvailabilityResult, planToResultShape, sameChanges, type StateServersChanges } from './changes';
import { ensureAvailabilityIntentions, type EnsureAvailabilityIntentions } from './ensure-availability';
import { machineIdFromTag, machineTag } from './placement';

describe('formatEnsureAvailabilityResult (--format simple)', () => {
  it('prints every list in Juju 1.25.6 order and words, ids joined with ", "', () => {
    const result: StateServersChanges = {
      converted: ['machine-6'],
      demoted: ['machine-5'],
      promoted: ['machine-4'],
      removed: ['machine-3'],
      added: ['machine-1', 'machine-2'],
      maintained: ['machine-0'],
    };
    expect(formatEnsureAvailabilityResult(result)).toEqual([
      'maintaining machines: 0',
      'adding machines: 1, 2',
      'removing machines: 3',
      'promoting machines: 4',
      'demoting machines: 5',
      'converting machines: 6',
    ]);
  });
  it('omits empty and missing lists; a no-op prints nothing', () => {
    expect(formatEnsureAvailabilityResult({ maintained: ['machine-0'], added: [], removed: undefined })).toEqual(['maintaining machines: 0']);
    expect(formatEnsureAvailabilityResult({})).toEqual([]);
  });
  it('converts container tags to ids and skips tags it cannot parse, as machineTagsToIds does', () => {
    expect(formatEnsureAvailabilityResult({ maintained: ['machine-0', 'machine-1-lxc-2', 'unit-foo-0', 'garbage'] })).toEqual(['maintaining machines: 0, 1/lxc/2']);
  });
});

describe('machine tags', () => {
  it.each([
    ['0', 'machine-0'],
    ['12', 'machine-12'],
    ['1/lxc/0', 'machine-1-lxc-0'],
  ])('%s ↔ %s', (id, tag) => {
    expect(machineTag(id)).toBe(tag);
    expect(machineIdFromTag(tag)).toBe(id);
  });
});

function plan(): EnsureAvailabilityIntentions {
  const r = ensureAvailabilityIntentions({
    numStateServers: 0,
    stateServers: { machineIds: ['0'], votingMachineIds: ['0'] },
    machines: [{ id: '0', jobs: ['JobHostUnits', 'JobManageEnviron'], noVote: false, hasVote: true, available: true }],
  });
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('planToResultShape and sameChanges', () => {
  it('the preview of 1 → 3 prints exactly what the API result prints', () => {
    const preview = planToResultShape(plan(), ['1', '2']);
    expect(preview).toEqual({ maintained: ['machine-0'], added: ['machine-1', 'machine-2'] });
    expect(formatEnsureAvailabilityResult(preview)).toEqual(['maintaining machines: 0', 'adding machines: 1, 2']);
    const api: StateServersChanges = { added: ['machine-3', 'machine-4'], maintained: ['machine-0'] };
    expect(sameChanges(preview, api)).toEqual({ same: true, differences: [] });
  });
  it('reports a different list in the CLI words', () => {
    const preview = planToResultShape(plan(), ['1', '2']);
    const api: StateServersChanges = { added: ['machine-1', 'machine-2', 'machine-3'], demoted: ['machine-0'] };
    expect(sameChanges(preview, api)).toEqual({
      same: false,
      differences: ['maintaining machines: preview 0, result none', 'adding machines: preview 1, 2, result 1, 2, 3', 'demoting machines: preview none, result 0'],
    });
  });
  it('a no-op plan has the empty result shape', () => {
    const noOp = { ...plan(), noOp: true };
    expect(planToResultShape(noOp, [])).toEqual({});
  });
});
