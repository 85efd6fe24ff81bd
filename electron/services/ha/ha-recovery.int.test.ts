import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxLayout } from '../../sandbox/layout';
import { parseAgentConf } from '../../sandbox/tree/agent-conf';
import type { HaApplyResult, RecoveryPlan } from '../../../shared/ipc/channels/ha';
import { PRESENCE_PERIOD_SECONDS } from '../../../shared/model/presence';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import { refusal, startSandboxHa, TOPOLOGY_INTERVAL_MS, type SandboxHa } from './testing/sandbox-ha';

/**
 * Juju's recovery from a failed state server, end to end through Quorum's
 * HA service against the real sandbox (Juju API server, provisioner,
 * peergroupers, presence pingers at Juju 1.25's real 30-s period): three
 * state servers, machine 2 powered off; the service waits until Juju's
 * presence for it lapses, then step 1 (ensure-availability: 2 demoted, 4
 * added, 4 adding-vote → has-vote while 2 goes removing-vote → no-vote),
 * step 2 (ensure-availability again: 2 removed from the state servers) and
 * step 3 (remove-machine --force 2), back to a healthy 3. Then blocked
 * changes (`juju block all-changes`) refuse an apply with Juju's message,
 * and with two of the three powered off the service says only a restore
 * recovers. Each step's time is printed.
 */

const measured: Record<string, number> = {};
let h: SandboxHa;

beforeAll(async () => {
  h = await startSandboxHa({ machines: { stateServers: 3, workloads: 1 }, ...testMongoProfile() });
}, 120_000);

afterAll(async () => {
  await h?.close();
  console.log(`HA recovery timings (topology interval ${TOPOLOGY_INTERVAL_MS} ms, presence period ${PRESENCE_PERIOD_SECONDS} s): ${JSON.stringify(measured)}`);
}, 60_000);

async function planWhere(test: (p: RecoveryPlan) => boolean, timeoutMs: number, what: string): Promise<RecoveryPlan> {
  return h.eventually(async () => {
    const p = await h.ha.recoveryPlan('sandbox');
    return test(p) ? p : null;
  }, timeoutMs, what);
}

/** Juju's presence lapses 30–60 s after the last ping; the topology needs a round more. */
const PRESENCE_LAPSE_MS = 2 * PRESENCE_PERIOD_SECONDS * 1000 + 15_000;

describe('recovering from a failed state server through the HA service', () => {
  it('starts healthy: 3 state servers voting', async () => {
    const status = await h.eventually(async () => {
      const s = await h.ha.status('sandbox');
      return s.facts === 'ready' && s.hasVoteCount === 3 && s.stateServers.every((m) => m.available) ? s : null;
    }, 60_000, 'three voting state servers');
    expect(status.stateServers.map((m) => m.machineId)).toEqual(['0', '1', '2']);
    expect((await h.ha.recoveryPlan('sandbox')).situation).toBe('healthy');
  }, 70_000);

  it('machine 2 powered off: the plan waits for Juju\'s presence to lapse, then offers step 1', async () => {
    const t0 = Date.now();
    await h.sandbox.powerOff('2');
    const waiting = await planWhere((p) => p.situation === 'settling' && p.step === 1, 15_000, 'the plan to wait for presence');
    expect(waiting.waitFor).toMatch(/Wait for Juju to see the agent of machine 2 go/);
    const plan = await planWhere((p) => p.situation === 'recoverable' && p.step === 1, PRESENCE_LAPSE_MS, 'step 1 once presence lapsed');
    measured['power-off → step 1 offered (presence lapse) ms'] = Date.now() - t0;
    expect(h.machine('2')).toMatchObject({ agentState: 'down', agentPresent: false, voteStatus: 'has-vote' });
    expect(plan.failedMachineIds).toEqual(['2']);
    expect(plan.preview?.desired).toBe(3);
    expect(plan.preview?.lines).toEqual(['maintaining machines: 0, 1', 'adding machines: 4', 'demoting machines: 2']);
  }, PRESENCE_LAPSE_MS + 30_000);

  it('step 1: ensure-availability demotes 2 and adds 4; 4 adding-vote → has-vote, 2 removing-vote → no-vote', async () => {
    const plan = await h.ha.recoveryPlan('sandbox');
    const t0 = Date.now();
    const { operationId } = await h.ha.apply({ environmentId: 'sandbox', n: plan.preview!.desired! });
    const done = await h.operations.whenFinished(operationId);
    expect(done.error).toBeUndefined();
    expect(done.state).toBe('succeeded');
    const result = done.result as HaApplyResult;
    expect(result.lines).toEqual(['maintaining machines: 0, 1', 'adding machines: 4', 'demoting machines: 2']);
    expect(result.matchedPreview).toBe(true);
    measured['step 1: apply → 4 has-vote ms'] = Date.now() - t0;
    expect(h.voteHistory.get('4')).toEqual(['adding-vote', 'has-vote']);
    await h.eventually(() => (h.machine('2')?.voteStatus === 'no-vote' ? true : null), 20_000, 'machine 2 to lose its vote');
    measured['step 1: apply → 2 no-vote ms'] = Date.now() - t0;
    expect(h.voteHistory.get('2')).toEqual(['has-vote', 'removing-vote', 'no-vote']);
  }, 120_000);

  it('step 2: ensure-availability again removes 2 from the state servers', async () => {
    const plan = await planWhere((p) => p.situation === 'recoverable' && p.step === 2, 15_000, 'step 2');
    expect(plan.preview?.lines).toEqual(['maintaining machines: 0, 1, 4', 'removing machines: 2']);
    const t0 = Date.now();
    const { operationId } = await h.ha.apply({ environmentId: 'sandbox', n: plan.preview!.desired! });
    const done = await h.operations.whenFinished(operationId);
    expect(done.state).toBe('succeeded');
    expect((done.result as HaApplyResult).lines).toEqual(['maintaining machines: 0, 1, 4', 'removing machines: 2']);
    await h.eventually(() => (h.machine('2')?.isStateServer === false ? true : null), 10_000, 'machine 2 to stop being a state server');
    measured['step 2: apply → 2 not a state server ms'] = Date.now() - t0;
  }, 60_000);

  it('step 3: remove-machine --force 2, back to a healthy 3 that survives 1 failure', async () => {
    const plan = await planWhere((p) => p.situation === 'recoverable' && p.step === 3, 15_000, 'step 3');
    expect(plan.removeMachineIds).toEqual(['2']);
    const t0 = Date.now();
    expect(await h.ha.removeMachines('sandbox', plan.removeMachineIds, true)).toEqual({ removed: ['2'] });
    await h.eventually(() => (h.current()?.machines.some((m) => m.id === '2') === false ? true : null), 20_000, 'machine 2 to be gone');
    measured['step 3: remove-machine → 2 gone ms'] = Date.now() - t0;
    const healthy = await planWhere((p) => p.situation === 'healthy', 10_000, 'a healthy plan');
    expect(healthy.step).toBeNull();
    const status = await h.ha.status('sandbox');
    expect(status).toMatchObject({ votingCount: 3, hasVoteCount: 3, hazards: [], quorumLost: false, recoverable: false });
    expect(status.stateServers.map((m) => [m.machineId, m.voteStatus])).toEqual([
      ['0', 'has-vote'],
      ['1', 'has-vote'],
      ['4', 'has-vote'],
    ]);
    expect(status.quorum?.survivesFailures).toBe(1);
    expect(h.sandbox.describe().machines.map((m) => m.id)).not.toContain('2');
    // Juju's apiaddressupdater: every running agent's agent.conf now lists the three API servers.
    const layout = new SandboxLayout(h.home);
    const apiAddresses = async (id: string, tag: string) =>
      parseAgentConf(await fs.readFile(`${layout.machineRoot(id)}/var/lib/juju/agents/${tag}/agent.conf`, 'utf8'))['apiaddresses'];
    const expected = ['10.23.0.10:17070', '10.23.0.11:17070', '10.23.0.14:17070'];
    await h.eventually(async () => (JSON.stringify(await apiAddresses('0', 'machine-0')) === JSON.stringify(expected) ? true : null), 10_000, 'agent.conf apiaddresses to follow');
    expect(await apiAddresses('3', 'machine-3')).toEqual(expected);
    expect(await apiAddresses('4', 'machine-4')).toEqual(expected);
  }, 60_000);

  it('juju block all-changes: apply fails as juju-blocked with Juju\'s block message; unblocked, the same call goes through', async () => {
    await h.sandbox.setBlock('all-changes', 'frozen for the quarterly audit');
    const { operationId } = await h.ha.apply({ environmentId: 'sandbox', n: 3 });
    const done = await h.operations.whenFinished(operationId);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('juju-blocked');
    expect(done.error?.message).toContain('frozen for the quarterly audit');
    await h.sandbox.setBlock('all-changes', null);
    const again = await h.operations.whenFinished((await h.ha.apply({ environmentId: 'sandbox', n: 3 })).operationId);
    expect(again.error).toBeUndefined();
    expect(again.state).toBe('succeeded');
    expect((again.result as HaApplyResult).lines).toEqual([]);
  }, 60_000);

  it('quorum lost (2 of 3 powered off): only a restore recovers, and apply is refused', async () => {
    const t0 = Date.now();
    await h.sandbox.powerOff('1');
    await h.sandbox.powerOff('4');
    const plan = await planWhere((p) => p.situation === 'quorum-lost', 30_000, 'quorum lost');
    measured['2 of 3 off → quorum-lost plan ms'] = Date.now() - t0;
    expect(plan.step).toBeNull();
    expect(plan.sentence).toMatch(/Quorum is lost \(1 of 3 voters up\).*Only restoring a backup recovers the environment\./);
    const status = await h.ha.status('sandbox');
    expect(status.quorumLost).toBe(true);
    expect(status.sentence).toMatch(/Only restoring a backup recovers\./);
    const e = await refusal(h.ha.apply({ environmentId: 'sandbox', n: 3 }));
    expect(e.code).toBe('quorum-lost');
    expect(e.message).toMatch(/only restoring a backup recovers/);
  }, 60_000);
});
