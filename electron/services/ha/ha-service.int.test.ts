import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HaApplyProgress, HaApplyResult } from '../../../shared/ipc/channels/ha';
import type { VoteStatus } from '../../../shared/model/vote-status';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import type { OperationManager } from '../operations/operation-manager';
import type { HaService } from './ha-service';
import { TOPOLOGY_INTERVAL_MS, refusal, startSandboxHa, type SandboxHa } from './testing/sandbox-ha';

/**
 * HA against the real sandbox: its Juju API server (through SSH
 * `direct-tcpip` to 17070, TLS with the environment CA, Admin.Login with the
 * `.jenv` password), provisioner and peergroupers, observed through the
 * topology service exactly as the console wires it. 1 → 3 with both new
 * machines seen going adding-vote → has-vote, 3 → 5 with the re-run guard
 * refusing while they are on their way, `cannot reduce`, a refused login,
 * and DestroyMachines' refusal of a state server.
 */

let h: SandboxHa;
let operations: OperationManager;
let ha: HaService;
let progress: HaApplyProgress[];
/** Every vote status each machine showed, in order, from topology.changed. */
let voteHistory: Map<string, VoteStatus[]>;
const measured: Record<string, number> = {};

beforeAll(async () => {
  h = await startSandboxHa({ machines: { stateServers: 1, workloads: 1 }, ...testMongoProfile() });
  ({ operations, ha, progress, voteHistory } = h);
}, 120_000);

afterAll(async () => {
  await h?.close();
  console.log(`HA timings (topology interval ${TOPOLOGY_INTERVAL_MS} ms): ${JSON.stringify(measured)}`);
}, 60_000);

function eventually<T>(fn: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T> {
  return h.eventually(fn, timeoutMs, what);
}

describe('HA against the sandbox', () => {
  it('status of a one-state-server sandbox: 1 voter, the .jenv password known', async () => {
    const status = await eventually(async () => {
      const s = await ha.status('sandbox');
      return s.facts === 'ready' && s.stateServers.every((m) => m.voteStatus === 'has-vote') ? s : null;
    }, 30_000, 'the first topology');
    expect(status).toMatchObject({ votingCount: 1, hasVoteCount: 1, adminPassword: 'jenv', hazards: [], quorumLost: false });
    expect(status.stops.find((s) => s.current)?.n).toBe(1);
  }, 40_000);

  it('1 → 3: Juju\'s lines match the preview; both new machines go adding-vote → has-vote', async () => {
    const preview = await ha.preview({ environmentId: 'sandbox', n: 3 });
    expect(preview.lines).toEqual(['maintaining machines: 0', 'adding machines: 2, 3']);
    const started = Date.now();
    const { operationId } = await ha.apply({ environmentId: 'sandbox', n: 3 });
    const done = await operations.whenFinished(operationId);
    expect(done.error).toBeUndefined();
    expect(done.state).toBe('succeeded');
    measured['1→3 ms'] = Date.now() - started;
    const result = done.result as HaApplyResult;
    expect(result.lines).toEqual(['maintaining machines: 0', 'adding machines: 2, 3']);
    expect(result.matchedPreview).toBe(true);
    for (const id of ['2', '3']) expect(voteHistory.get(id)).toEqual(['adding-vote', 'has-vote']);
    const phases = progress.filter((p) => p.operationId === operationId).map((p) => p.phase);
    expect(phases[0]).toBe('calling-api');
    expect(phases).toContain('waiting-for-votes');
    expect(phases.at(-1)).toBe('done');
    const status = await ha.status('sandbox');
    expect(status).toMatchObject({ votingCount: 3, hasVoteCount: 3, hazards: [] });
    expect(status.quorum?.survivesFailures).toBe(1);
  }, 120_000);

  it('going back to 1 is refused in Juju\'s words (cannot reduce)', async () => {
    const preview = await ha.preview({ environmentId: 'sandbox', n: 1 });
    expect(preview.error).toBe('failed to create new state server machines: cannot reduce state server count');
    const { operationId } = await ha.apply({ environmentId: 'sandbox', n: 1 });
    const done = await operations.whenFinished(operationId);
    expect(done.state).toBe('failed');
    expect(done.error?.code).toBe('juju-api-error');
    expect(done.error?.message).toContain('failed to create new state server machines: cannot reduce state server count');
  }, 60_000);

  it('3 → 5, with the re-run guard refusing while the new machines are on their way', async () => {
    const started = Date.now();
    const { operationId } = await ha.apply({ environmentId: 'sandbox', n: 5 });
    await eventually(async () => ((await ha.status('sandbox')).hazards.length > 0 ? true : null), 30_000, 'a pending or adding-vote state server');
    // The guard answers before the operation lock would (busy): Juju's LP 1384549 reason, per machine.
    const guard = await refusal(ha.apply({ environmentId: 'sandbox', n: 5 }));
    expect(guard.code).toBe('ha-not-ready');
    expect(guard.message).toMatch(/machine [45]: .*LP 1384549/);
    const done = await operations.whenFinished(operationId);
    expect(done.state).toBe('succeeded');
    measured['3→5 ms'] = Date.now() - started;
    expect((done.result as HaApplyResult).lines).toEqual(['maintaining machines: 0, 2, 3', 'adding machines: 4, 5']);
    for (const id of ['4', '5']) expect(voteHistory.get(id)).toEqual(['adding-vote', 'has-vote']);
    expect(await ha.status('sandbox')).toMatchObject({ votingCount: 5, hasVoteCount: 5, hazards: [], applyOperationId: null });
  }, 120_000);

  it('DestroyMachines of a state server is refused in Juju\'s words', async () => {
    const e = await refusal(ha.removeMachines('sandbox', ['0'], false));
    expect(e.code).toBe('juju-api-error');
    expect(e.message).toMatch(/machine 0 is required by the environment/);
  }, 30_000);

  it('a wrong admin password is refused by Admin.Login and not kept', async () => {
    const e = await refusal(ha.setAdminPassword('sandbox', 'not-the-password'));
    expect(e.code).toBe('juju-login-refused');
    expect(e.message).toMatch(/invalid entity name or password/);
    expect((await ha.status('sandbox')).adminPassword).toBe('jenv');
  }, 30_000);
});
