import { afterEach, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { StateServersChanges } from '../../../shared/ha/changes';
import type { HaApplyProgress } from '../../../shared/ipc/channels/ha';
import { SecretRegistry } from '../../../shared/redact';
import type { JujuApiClient } from '../juju-api/client';
import { createMemoryLogger } from '../log';
import { createOperationManager, type OperationManager } from '../operations/operation-manager';
import { AdminCredentials } from './admin-credentials';
import { createHaService, type HaService } from './ha-service';
import { recoveryPlan } from './recovery';
import { FakeTopology, topologyOf, type MachineSpec } from './testing/fake-topology';

const ENV = 'sandbox';
const ONE: MachineSpec[] = [{ id: '0', vote: 'has-vote', primary: true }, { id: '1' }];
const THREE: MachineSpec[] = [
  { id: '0', vote: 'has-vote', primary: true },
  { id: '1', vote: 'has-vote' },
  { id: '2', vote: 'has-vote' },
  { id: '5' },
];

interface Harness {
  readonly service: HaService;
  readonly topology: FakeTopology;
  readonly operations: OperationManager;
  readonly calls: { spec: unknown; destroyed: unknown[] };
  readonly progress: HaApplyProgress[];
  answer: (spec: { numStateServers: number }) => StateServersChanges;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

function harness(specs: readonly MachineSpec[], password: string | null = 'admin-pw-123'): Harness {
  const secrets = new SecretRegistry();
  const log = createMemoryLogger(secrets);
  const events = { emit: () => undefined };
  const operations = createOperationManager({ events, secrets, log, progressIntervalMs: 1 });
  closers.push(() => operations.close());
  const topology = new FakeTopology(specs);
  const credentials = new AdminCredentials(secrets, async () => ({ jenv: null }));
  if (password !== null) credentials.enter(ENV, password);
  const progress: HaApplyProgress[] = [];
  const calls: Harness['calls'] = { spec: null, destroyed: [] };
  const h: Harness = {
    topology,
    operations,
    calls,
    progress,
    answer: () => ({}),
    service: null as unknown as HaService,
  };
  const client: JujuApiClient = {
    login: { version: 2, environTag: 'environment-x', facades: null, serverVersion: '1.25.6' },
    address: '10.23.0.10',
    closed: false,
    ensureAvailability: async (spec) => {
      calls.spec = spec;
      return h.answer(spec);
    },
    destroyMachines: async (ids, force) => {
      calls.destroyed.push({ ids, force });
    },
    ping: async () => undefined,
    close: () => undefined,
  };
  (h as { service: HaService }).service = createHaService({
    operations,
    topology,
    credentials,
    openApi: async () => client,
    emitApplyProgress: (p) => progress.push(p),
    log,
    pollMs: 5,
  });
  return h;
}

async function failure(p: Promise<unknown>): Promise<QuorumError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(e instanceof QuorumError)) throw new Error(`expected a QuorumError, got ${String(e)}`);
  return e;
}

describe('status', () => {
  it('one voting state server: stops 1 (current) to 7, nothing settling, placement candidates, password source', async () => {
    const { service } = harness(ONE);
    const s = await service.status(ENV);
    expect(s).toMatchObject({ facts: 'ready', votingCount: 1, hasVoteCount: 1, hazards: [], adminPassword: 'entered', quorumLost: false, recoverable: false, settling: false, applyOperationId: null });
    expect(s.stops.map((x) => [x.n, x.enabled, x.current])).toEqual([
      [1, true, true],
      [3, true, false],
      [5, true, false],
      [7, true, false],
    ]);
    expect(s.placementCandidates.map((m) => m.machineId)).toEqual(['1']);
    expect(s.stateServers[0]).toMatchObject({ machineId: '0', wantsVote: true, hasVote: true, available: true, isPrimary: true });
  });

  it('below the current count the stop is disabled with Juju\'s reason; a lost quorum says restore', async () => {
    const { service, topology } = harness(THREE);
    expect((await service.status(ENV)).stops[0]).toEqual({ n: 1, enabled: false, current: false, reason: 'cannot reduce state server count' });
    topology.set([{ id: '0', vote: 'has-vote', agent: 'down' }, { id: '1', vote: 'has-vote', agent: 'down' }, { id: '2', vote: 'has-vote', primary: false }]);
    const s = await service.status(ENV);
    expect(s).toMatchObject({ quorumLost: true, recoverable: false });
    expect(s.sentence).toMatch(/Only restoring a backup recovers/);
  });

  it('another environment selected: no facts, said so', async () => {
    const { service } = harness(ONE);
    const s = await service.status('juju:prod');
    expect(s.facts).toBe('unavailable');
    expect(s.factsError?.code).toBe('conflict');
  });
});

describe('preview', () => {
  it('1 → 3: Juju\'s lines, and the before/after map with two new adding-vote machines', async () => {
    const { service } = harness(ONE);
    const p = await service.preview({ environmentId: ENV, n: 3 });
    expect(p).toMatchObject({ desired: 3, noOp: false, error: null, lines: ['maintaining machines: 0', 'adding machines: 2, 3'] });
    expect(p.before).toEqual([{ machineId: '0', isNew: false, change: null, voteStatus: 'has-vote', available: true }]);
    expect(p.after.map((e) => [e.machineId, e.isNew, e.change, e.voteStatus])).toEqual([
      ['0', false, 'maintain', 'has-vote'],
      ['2', true, 'add', 'adding-vote'],
      ['3', true, 'add', 'adding-vote'],
    ]);
  });

  it('--to an existing machine converts it; a no-op has no lines', async () => {
    const { service } = harness(ONE);
    const p = await service.preview({ environmentId: ENV, n: 3, placement: ['1'] });
    expect(p.lines).toEqual(['maintaining machines: 0', 'adding machines: 2', 'converting machines: 1']);
    const same = await service.preview({ environmentId: ENV, n: 1 });
    expect(same).toMatchObject({ noOp: true, lines: [], error: null });
  });

  it.each([
    [{ n: 1 }, 'failed to create new state server machines: cannot reduce state server count', /backup/],
    [{ n: 4 }, 'number of state servers must be odd and non-negative', /1, 3, 5 or 7/],
    [{ n: 9 }, 'state server count is too large (allowed 7)', /at most 7/],
    [{ n: 5, placement: ['0'] }, 'failed to create new state server machines: machine for placement directive "#:0" is already a state server', /not a state server/],
    [{ n: 5, placement: ['0/lxc/1'] }, 'ensure-availability cannot be used with container placement directives', /not containers/],
    [{ n: 5, constraints: 'mem=lots' }, 'bad "mem" constraint: must be a non-negative float with optional M/G/T/P suffix', null],
  ])('%j → Juju\'s words', async (spec, error, advice) => {
    const { service } = harness(THREE);
    const p = await service.preview({ environmentId: ENV, ...spec });
    expect(p.error).toBe(error);
    if (advice === null) expect(p.advice).toBeNull();
    else expect(p.advice).toMatch(advice);
    expect(p.lines).toEqual([]);
  });
});

describe('apply', () => {
  it('1 → 3: calls the API, reports its lines and that they match the preview, follows pending → started and adding-vote → has-vote', async () => {
    const h = harness(ONE);
    h.answer = () => ({ maintained: ['machine-0'], added: ['machine-2', 'machine-3'] });
    const { operationId } = await h.service.apply({ environmentId: ENV, n: 3 });
    await until(() => h.calls.spec !== null);
    expect(h.calls.spec).toEqual({ numStateServers: 3, series: '', constraints: {}, placement: [] });
    expect(h.topology.leases.get(`ha:${operationId}`)).toBe(true);
    h.topology.set([...ONE, { id: '2', vote: 'adding-vote', agent: 'pending' }, { id: '3', vote: 'adding-vote', agent: 'pending' }]);
    await until(() => h.progress.some((p) => p.phase === 'waiting-for-machines'));
    expect(h.operations.get(operationId)?.state).toBe('running');
    h.topology.set([...ONE, { id: '2', vote: 'adding-vote' }, { id: '3', vote: 'adding-vote' }]);
    await until(() => h.progress.some((p) => p.phase === 'waiting-for-votes'));
    expect(h.operations.get(operationId)?.state).toBe('running');
    h.topology.set([...ONE, { id: '2', vote: 'has-vote' }, { id: '3', vote: 'has-vote' }]);
    const done = await h.operations.whenFinished(operationId);
    expect(done.state).toBe('succeeded');
    expect(done.result).toMatchObject({ lines: ['maintaining machines: 0', 'adding machines: 2, 3'], previewLines: ['maintaining machines: 0', 'adding machines: 2, 3'], matchedPreview: true, differences: [] });
    expect(h.progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1])).toEqual(['calling-api', 'waiting-for-machines', 'waiting-for-votes', 'done']);
    expect(h.progress.at(-1)?.machines.map((m) => [m.machineId, m.voteStatus])).toEqual([
      ['0', 'has-vote'],
      ['2', 'has-vote'],
      ['3', 'has-vote'],
    ]);
    expect(h.topology.leases.get(`ha:${operationId}`)).toBe(false);
  });

  it('a result that differs from the preview is reported with the differences', async () => {
    const h = harness(ONE);
    h.answer = () => ({ maintained: ['machine-0'], added: ['machine-2', 'machine-3', 'machine-4'] });
    h.topology.onRefresh = () => h.topology.set([...ONE, { id: '2', vote: 'has-vote' }, { id: '3', vote: 'has-vote' }, { id: '4', vote: 'has-vote' }]);
    const { operationId } = await h.service.apply({ environmentId: ENV, n: 3 });
    const done = await h.operations.whenFinished(operationId);
    expect(done.result).toMatchObject({ matchedPreview: false, differences: ['adding machines: preview 2, 3, result 2, 3, 4'] });
  });

  it('the re-run guard refuses while a state server is adding-vote, unless overridden', async () => {
    const h = harness([...ONE, { id: '2', vote: 'adding-vote', agent: 'pending' }]);
    const e = await failure(h.service.apply({ environmentId: ENV, n: 3 }));
    expect(e.code).toBe('ha-not-ready');
    expect(e.message).toMatch(/machine 2: its agent is still pending; .*LP 1384549/);
    expect(h.calls.spec).toBeNull();
    h.answer = () => ({ maintained: ['machine-0', 'machine-2'], added: ['machine-3'] });
    h.topology.onRefresh = () => h.topology.set([...ONE, { id: '2', vote: 'has-vote' }, { id: '3', vote: 'has-vote' }]);
    const { operationId } = await h.service.apply({ environmentId: ENV, n: 3, overrideRerunGuard: true });
    const done = await h.operations.whenFinished(operationId);
    expect(h.calls.spec).not.toBeNull();
    expect(done.log.some((l) => l.level === 'warning' && /overridden/.test(l.message))).toBe(true);
  });

  it('without an admin password, apply is refused before any call', async () => {
    const h = harness(ONE, null);
    expect((await failure(h.service.apply({ environmentId: ENV, n: 3 }))).code).toBe('admin-password-required');
    expect((await h.service.status(ENV)).adminPassword).toBe('missing');
  });

  it('quorum lost: refused, restore only', async () => {
    const h = harness([{ id: '0', vote: 'has-vote', agent: 'down' }, { id: '1', vote: 'has-vote', agent: 'down' }, { id: '2', vote: 'has-vote' }]);
    expect((await failure(h.service.apply({ environmentId: ENV, n: 3 }))).code).toBe('quorum-lost');
  });

  it('cancelling stops the waiting and says the call is not undone', async () => {
    const h = harness(ONE);
    h.answer = () => ({ maintained: ['machine-0'], added: ['machine-2', 'machine-3'] });
    const { operationId } = await h.service.apply({ environmentId: ENV, n: 3 });
    await until(() => h.progress.some((p) => p.phase === 'waiting-for-machines'));
    h.operations.cancel(operationId);
    const done = await h.operations.whenFinished(operationId);
    expect(done.state).toBe('cancelled');
    expect(done.error?.message).toMatch(/not undone/);
  });

  it('an API error fails the operation with its code', async () => {
    const h = harness(THREE);
    h.answer = () => {
      throw new QuorumError('juju-api-error', 'Juju answered HighAvailability.EnsureAvailability: failed to create new state server machines: cannot reduce state server count');
    };
    const { operationId } = await h.service.apply({ environmentId: ENV, n: 1 });
    const done = await h.operations.whenFinished(operationId);
    expect([done.state, done.error?.code]).toEqual(['failed', 'juju-api-error']);
  });
});

describe('recovery plan', () => {
  const failed3: MachineSpec[] = [
    { id: '0', vote: 'has-vote', primary: true },
    { id: '1', vote: 'has-vote' },
    { id: '2', vote: 'has-vote', agent: 'down' },
  ];
  it('step 1 while a voter is down: demote it and add a replacement', () => {
    const plan = recoveryPlan(topologyOf(failed3), ENV, new Set());
    expect(plan).toMatchObject({ situation: 'recoverable', step: 1, failedMachineIds: ['2'], waitFor: null });
    expect(plan.preview?.lines).toEqual(['maintaining machines: 0, 1', 'adding machines: 3', 'demoting machines: 2']);
  });
  it('a state server down while Juju still sees its agent alive: wait for presence to expire before step 1', () => {
    const plan = recoveryPlan(topologyOf([...failed3.slice(0, 2), { id: '2', vote: 'has-vote', agent: 'down', present: true }]), ENV, new Set());
    expect(plan).toMatchObject({ situation: 'settling', step: 1, failedMachineIds: ['2'], preview: null });
    expect(plan.waitFor).toMatch(/Juju to see the agent of machine 2 go/);
  });
  it('the preview follows Juju\'s presence, not member health: a no-op until the agent is gone', async () => {
    const { service, topology } = harness([...THREE.slice(0, 2), { id: '2', vote: 'has-vote', agent: 'down', present: true }]);
    expect(await service.preview({ environmentId: ENV, n: 3 })).toMatchObject({ noOp: true, lines: [] });
    topology.set([...THREE.slice(0, 2), { id: '2', vote: 'has-vote', agent: 'down', present: false }]);
    expect((await service.preview({ environmentId: ENV, n: 3 })).lines).toEqual(['maintaining machines: 0, 1', 'adding machines: 3', 'demoting machines: 2']);
  });
  it('after step 1: wait for the replacement\'s vote', () => {
    const plan = recoveryPlan(topologyOf([...failed3.slice(0, 2), { id: '2', vote: 'removing-vote', agent: 'down' }, { id: '3', vote: 'adding-vote' }]), ENV, new Set());
    expect(plan).toMatchObject({ situation: 'settling', step: 2 });
    expect(plan.waitFor).toMatch(/machine 3 to show has-vote/);
  });
  it('step 2 once votes moved: ensure-availability removes the failed machine', () => {
    const plan = recoveryPlan(topologyOf([...failed3.slice(0, 2), { id: '2', vote: 'no-vote', agent: 'down' }, { id: '3', vote: 'has-vote' }]), ENV, new Set());
    expect(plan).toMatchObject({ situation: 'recoverable', step: 2 });
    expect(plan.preview?.lines).toEqual(['maintaining machines: 0, 1, 3', 'removing machines: 2']);
  });
  it('step 3: remove the machine a run took out of the state servers', () => {
    const plan = recoveryPlan(topologyOf([...failed3.slice(0, 2), { id: '2', agent: 'down' }, { id: '3', vote: 'has-vote' }]), ENV, new Set(['2']));
    expect(plan).toMatchObject({ situation: 'recoverable', step: 3, removeMachineIds: ['2'] });
    expect(recoveryPlan(topologyOf([...failed3.slice(0, 2), { id: '3', vote: 'has-vote' }]), ENV, new Set(['2']))).toMatchObject({ situation: 'healthy', step: null });
  });
  it('quorum lost: no step, restore', () => {
    const plan = recoveryPlan(topologyOf([{ id: '0', vote: 'has-vote', agent: 'down' }, { id: '1', vote: 'has-vote', agent: 'down' }, { id: '2', vote: 'has-vote' }]), ENV, new Set());
    expect(plan).toMatchObject({ situation: 'quorum-lost', step: null });
    expect(plan.sentence).toMatch(/Only restoring a backup/);
  });
  it('removeMachines calls DestroyMachines and clears the remembered ids', async () => {
    const h = harness(THREE);
    expect(await h.service.removeMachines(ENV, ['5'], true)).toEqual({ removed: ['5'] });
    expect(h.calls.destroyed).toEqual([{ ids: ['5'], force: true }]);
  });
});

async function until(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
