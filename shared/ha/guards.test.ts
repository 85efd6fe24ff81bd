import { describe, expect, it } from 'vitest';
import { ensureAvailabilityIntentions } from './ensure-availability';
import { availableCounts, rerunHazard, type RerunMachine } from './guards';

function m(id: string, over: Partial<RerunMachine>): RerunMachine {
  return { id, jobs: ['JobHostUnits', 'JobManageEnviron'], noVote: false, hasVote: true, available: true, agentStatus: 'started', ...over };
}

describe('rerunHazard (LP 1384549)', () => {
  it('flags a new state server whose agent is still pending: a run now would demote it', () => {
    const machines = [m('0', {}), m('1', { hasVote: false, available: false, agentStatus: 'pending' })];
    const hazards = rerunHazard(machines);
    expect(hazards).toHaveLength(1);
    expect(hazards[0]).toMatchObject({ id: '1', wouldDemote: true });
    expect(hazards[0]?.reason).toContain('would demote it and add another machine (LP 1384549)');
    // The claim matches the intent rules: a second run demotes machine 1 and adds a machine.
    const plan = ensureAvailabilityIntentions({
      numStateServers: 0,
      stateServers: { machineIds: ['0', '1', '2'], votingMachineIds: ['0', '1', '2'] },
      machines: [...machines, m('2', { hasVote: false, available: false, agentStatus: 'pending' })],
    });
    expect(plan.ok && plan.value).toMatchObject({ demote: ['1', '2'], add: 2 });
  });

  it('flags adding-vote machines whose agent is up, without claiming a demotion', () => {
    const hazards = rerunHazard([m('0', {}), m('3', { hasVote: false })]);
    expect(hazards).toEqual([expect.objectContaining({ id: '3', wouldDemote: false })]);
    expect(hazards[0]?.reason).toMatch(/^machine 3: it has no vote yet \(adding-vote\);/);
  });

  it('does not flag settled or failed voters, or machines that are not state servers', () => {
    const machines = [
      m('0', {}),
      m('1', { available: false, agentStatus: 'down' }), // failed voter: recovery demotes it on purpose
      m('2', { noVote: true, hasVote: false, available: false, agentStatus: 'down' }), // no-vote
      m('3', { noVote: true, hasVote: true }), // removing-vote
      m('4', { jobs: ['JobHostUnits'], hasVote: false, agentStatus: 'pending' }),
    ];
    expect(rerunHazard(machines)).toEqual([]);
  });
});

describe('availableCounts (slider stops)', () => {
  it('disables counts below the current voting count with Juju reason and marks the current one', () => {
    expect(availableCounts(3)).toEqual([
      { n: 1, enabled: false, current: false, reason: 'cannot reduce state server count' },
      { n: 3, enabled: true, current: true, reason: null },
      { n: 5, enabled: true, current: false, reason: null },
      { n: 7, enabled: true, current: false, reason: null },
    ]);
  });
  it.each([
    [1, [true, true, true, true]],
    [5, [false, false, true, true]],
    [7, [false, false, false, true]],
    [4, [false, false, true, true]],
  ])('%i voting → %j', (voting, enabled) => {
    expect(availableCounts(voting).map((s) => s.enabled)).toEqual(enabled);
  });
});
