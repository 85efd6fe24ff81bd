import { describe, expect, it } from 'vitest';
import type { MachineJob } from '../model/vote-status';
import {
  applyIntentions,
  desiredStateServerCount,
  ensureAvailabilityIntentions,
  guessNewMachineIds,
  MAX_STATE_SERVERS,
  seriesForNewMachines,
  validateStateServerCount,
  type EnsureAvailabilityInput,
  type EnsureAvailabilityIntentions,
  type HaMachine,
} from './ensure-availability';
import { parseCliPlacement } from './placement';

const SS: MachineJob[] = ['JobHostUnits', 'JobManageEnviron'];
const UNITS: MachineJob[] = ['JobHostUnits'];

/** A state server: available?, wants vote?, has vote?. */
function ss(id: string, available: boolean, wants: boolean, hasVote: boolean): HaMachine {
  return { id, jobs: SS, noVote: !wants, hasVote, available, series: 'trusty' };
}
function worker(id: string): HaMachine {
  return { id, jobs: UNITS, noVote: false, hasVote: false, available: true, series: 'trusty' };
}
function input(machines: HaMachine[], n = 0, placement: string[] = []): EnsureAvailabilityInput {
  const servers = machines.filter((m) => m.jobs.includes('JobManageEnviron'));
  return {
    numStateServers: n,
    placement,
    machines,
    stateServers: { machineIds: servers.map((m) => m.id), votingMachineIds: servers.filter((m) => !m.noVote).map((m) => m.id) },
  };
}
function plan(i: EnsureAvailabilityInput): EnsureAvailabilityIntentions {
  const r = ensureAvailabilityIntentions(i);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}
function error(i: EnsureAvailabilityInput): string {
  const r = ensureAvailabilityIntentions(i);
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('validateStateServerCount', () => {
  it.each([0, 1, 3, 5, 7])('accepts %i on both sides', (n) => {
    expect(validateStateServerCount(n, 'cli')).toBeNull();
    expect(validateStateServerCount(n, 'server')).toBeNull();
  });
  it.each([2, 4, 6, 8, -1, -3, 1.5])('refuses %s with the CLI and server messages', (n) => {
    expect(validateStateServerCount(n, 'cli')).toBe('must specify a number of state servers odd and non-negative');
    expect(validateStateServerCount(n)).toBe('number of state servers must be odd and non-negative');
  });
  it.each([9, 11, 99])('the server caps %i at 7; the CLI does not check the maximum', (n) => {
    expect(MAX_STATE_SERVERS).toBe(7);
    expect(validateStateServerCount(n, 'server')).toBe('state server count is too large (allowed 7)');
    expect(validateStateServerCount(n, 'cli')).toBeNull();
  });
});

describe('-n 0 default', () => {
  it.each([
    [0, 0, 3],
    [0, 1, 3],
    [0, 3, 3],
    [0, 5, 5],
    [5, 3, 5],
    [1, 1, 1],
  ])('n=%i with %i voting → %i', (n, voting, desired) => {
    expect(desiredStateServerCount(n, voting)).toBe(desired);
  });
  it('a plain run on a single state server plans 3', () => {
    const p = plan(input([ss('0', true, true, true)]));
    expect(p).toMatchObject({ desired: 3, maintain: ['0'], add: 2, noOp: false });
  });
});

describe('availability × wants-vote × has-vote (ensureAvailabilityIntentions)', () => {
  // Machine 9 is the one under test; 0 and 1 are healthy voters around it.
  it.each([
    [true, true, true, 'maintain'],
    [true, true, false, 'maintain'],
    [true, false, true, 'promote'],
    [true, false, false, 'promote'],
    [false, true, true, 'demote'],
    [false, true, false, 'demote'],
    [false, false, true, 'maintain'],
    [false, false, false, 'remove'],
  ] as const)('available=%s wantsVote=%s hasVote=%s → %s', (available, wants, hasVote, expected) => {
    const p = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('9', available, wants, hasVote)], 5));
    const lists = { maintain: p.maintain, promote: p.promote, demote: p.demote, remove: p.remove } as const;
    for (const [key, ids] of Object.entries(lists)) expect(ids.includes('9'), key).toBe(key === expected);
  });

  it('an unavailable non-voter that still has a vote is maintained but not counted as a voter', () => {
    const p = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('2', true, true, true), ss('3', false, false, true)], 3));
    expect(p).toMatchObject({ noOp: true, maintain: ['0', '1', '2', '3'] });
    const q = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('3', false, false, true)], 3));
    expect(q).toMatchObject({ noOp: false, maintain: ['0', '1', '3'], add: 1 });
  });

  it('removing alone is enough to run (voters already at the desired count)', () => {
    const p = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('2', true, true, true), ss('3', false, false, false)], 3));
    expect(p).toMatchObject({ noOp: false, remove: ['3'], add: 0, maintain: ['0', '1', '2'] });
  });

  it('recovery: a failed voter is demoted and replaced; on the next run it is removed', () => {
    const first = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('2', false, true, true)]));
    expect(first).toMatchObject({ desired: 3, maintain: ['0', '1'], demote: ['2'], add: 1 });
    // After the peergrouper swapped the votes: 2 is novote and lost its vote, 3 has one.
    const second = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('2', false, false, false), ss('3', true, true, true)]));
    expect(second).toMatchObject({ maintain: ['0', '1', '3'], remove: ['2'], add: 0, noOp: false });
  });
});

describe('filling order: maintained → promote → convert → new', () => {
  const machines = [ss('0', true, true, true), ss('1', true, false, false), ss('2', true, false, false), worker('5'), worker('6')];

  it('promotes first, then converts, then adds', () => {
    const p = plan(input(machines, 7, ['#:5', '#:6']));
    expect(p).toMatchObject({ maintain: ['0'], promote: ['1', '2'], convert: ['5', '6'], add: 2 });
  });
  it('trims converts once promotions fill the count', () => {
    const p = plan(input(machines, 3, ['#:5', '#:6']));
    expect(p).toMatchObject({ promote: ['1', '2'], convert: [], add: 0 });
  });
  it('trims promotions to the shortfall', () => {
    const p = plan(input([ss('0', true, true, true), ss('1', true, true, true), ss('2', true, true, true), ss('3', true, false, false), ss('4', true, false, false), ss('8', true, false, false)], 5));
    expect(p).toMatchObject({ promote: ['3', '4'], add: 0 });
  });
  it('converts before adding, and hands every directive to new machines in order (1.25 quirk)', () => {
    const p = plan(input([ss('0', true, true, true), worker('5')], 5, ['#:5', 'zone-a']));
    expect(p).toMatchObject({ convert: ['5'], add: 3, newPlacement: ['#:5', 'zone-a', ''] });
  });
});

describe('errors', () => {
  const base = [ss('0', true, true, true), ss('1', true, true, true), ss('2', true, true, true), worker('5')];
  it.each([
    [4, 'number of state servers must be odd and non-negative'],
    [9, 'state server count is too large (allowed 7)'],
    [1, 'failed to create new state server machines: cannot reduce state server count'],
  ])('n=%i → %s', (n, message) => {
    expect(error(input(base, n))).toBe(message);
  });
  it.each([
    ['#:0', 'failed to create new state server machines: machine for placement directive "#:0" is already a state server'],
    ['#:42', 'failed to create new state server machines: can\'t find machine for placement directive "#:42": machine 42 not found'],
    ['#:5/lxc/0', 'failed to create new state server machines: container placement directives not supported'],
    ['maas:node1', 'failed to create new state server machines: unsupported placement directive "maas:node1"'],
  ])('placement %s', (p, message) => {
    expect(error(input(base, 5, [p]))).toBe(message);
  });
  it('unscoped provider directives are accepted and go to new machines', () => {
    expect(plan(input(base, 5, ['node1'])).newPlacement).toEqual(['node1', '']);
  });
});

describe('parseCliPlacement (the CLI rewrites machine ids to #:<id>)', () => {
  it.each([
    ['', []],
    ['1', ['#:1']],
    ['1,node1', ['#:1', 'node1']],
    ['#:2', ['#:2']],
  ])('%j → %j', (spec, expected) => {
    expect(parseCliPlacement(spec)).toEqual({ ok: true, placement: expected });
  });
  it.each([
    ['1/lxc/0', 'ensure-availability cannot be used with container placement directives'],
    ['lxc:1', 'unsupported ensure-availability placement directive "lxc:1"'],
    ['maas:node1', 'unsupported ensure-availability placement directive "maas:node1"'],
  ])('%s → %s', (spec, message) => {
    expect(parseCliPlacement(spec)).toEqual({ ok: false, error: message });
  });
});

describe('no-op', () => {
  it('three healthy voters and -n 0 or -n 3: nothing to do, nothing written', () => {
    const machines = [ss('0', true, true, true), ss('1', true, true, true), ss('2', true, true, true)];
    for (const n of [0, 3]) {
      const p = plan(input(machines, n));
      expect(p).toMatchObject({ noOp: true, add: 0 });
      const state = input(machines, n);
      const applied = applyIntentions(state, p, []);
      expect(applied).toEqual({ ok: true, value: { stateServers: state.stateServers, machines: [] } });
    }
  });
});

describe('applyIntentions (the txn ops)', () => {
  it('1 → 3 adds two voting state servers with JobHostUnits and JobManageEnviron', () => {
    const state = input([ss('0', true, true, true)]);
    const applied = applyIntentions(state, plan(state), ['1', '2']);
    expect(applied).toEqual({
      ok: true,
      value: {
        stateServers: { machineIds: ['0', '1', '2'], votingMachineIds: ['0', '1', '2'] },
        machines: [
          { id: '1', inserted: true, jobs: SS, noVote: false, hasVote: false, placement: '' },
          { id: '2', inserted: true, jobs: SS, noVote: false, hasVote: false, placement: '' },
        ],
      },
    });
  });

  it('promote, demote, convert, add and remove, in op order', () => {
    const state = input([ss('0', true, true, true), ss('1', false, true, true), ss('2', true, false, false), ss('3', false, false, false), worker('5')], 5, ['#:5']);
    const p = plan(state);
    expect(p).toMatchObject({ maintain: ['0'], promote: ['2'], demote: ['1'], remove: ['3'], convert: ['5'], add: 2 });
    const applied = applyIntentions(state, p, ['6', '7']);
    if (!applied.ok) throw new Error(applied.error);
    expect(applied.value.stateServers).toEqual({ machineIds: ['0', '1', '2', '5', '6', '7'], votingMachineIds: ['0', '2', '5', '6', '7'] });
    expect(applied.value.machines.map((m) => [m.id, m.jobs.includes('JobManageEnviron'), m.noVote])).toEqual([
      ['2', true, false],
      ['1', true, true],
      ['5', true, false],
      ['6', true, false],
      ['7', true, false],
      ['3', false, false], // remove pulls JobManageEnviron and resets novote
    ]);
  });

  it('aborts when the state moved under the plan, as the txn asserts would', () => {
    const state = input([ss('0', true, true, true)]);
    const p = plan(state);
    const moved = input([ss('0', true, true, true), ss('1', true, true, false)]);
    const applied = applyIntentions(moved, p, ['2', '3']);
    expect(applied).toEqual({ ok: false, error: 'transaction aborted: stateServers changed size' });
    expect(() => applyIntentions(state, p, ['1'])).toThrow(RangeError);
  });
});

describe('seriesForNewMachines and guessNewMachineIds', () => {
  it('defaults to the first voting state server series', () => {
    const state = input([{ ...ss('0', true, true, true), series: 'precise' }, ss('1', true, true, true)]);
    expect(seriesForNewMachines(state, '')).toEqual({ ok: true, value: 'precise' });
    expect(seriesForNewMachines(state, 'trusty')).toEqual({ ok: true, value: 'trusty' });
    expect(seriesForNewMachines({ machines: [], stateServers: { machineIds: [], votingMachineIds: [] } }, '')).toEqual({ ok: false, error: 'internal error, failed to find any voting machines' });
  });
  it('guesses ids after the highest known top-level id', () => {
    expect(guessNewMachineIds(['0', '4', '2/lxc/0'], 2)).toEqual(['5', '6']);
    expect(guessNewMachineIds([], 1)).toEqual(['0']);
  });
});
