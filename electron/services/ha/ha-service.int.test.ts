import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { HaApplyProgress, HaApplyResult } from '../../../shared/ipc/channels/ha';
import type { TopologySnapshot } from '../../../shared/model/topology-snapshot';
import type { VoteStatus } from '../../../shared/model/vote-status';
import { SecretRegistry } from '../../../shared/redact';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { testMongoProfile } from '../../sandbox/testing/mongo-profile';
import { ConnectionManager } from '../connection/connection-manager';
import type { Environment } from '../../../shared/ipc/channels/environments';
import { targetForSandbox } from '../environments/targets';
import { createDispatcher } from '../ipc/dispatcher';
import { createEventHub } from '../ipc/event-hub';
import { createMemoryLogger } from '../log';
import { createOperationManager, type OperationManager } from '../operations/operation-manager';
import { connectionTopologySource } from '../topology/connection-source';
import { createTopologyService, type TopologyService } from '../topology/topology-service';
import type { HaService } from './ha-service';
import { registerHa } from './register-ha';

/**
 * HA against the real sandbox: its Juju API server (through SSH
 * `direct-tcpip` to 17070, TLS with the environment CA, Admin.Login with the
 * `.jenv` password), provisioner and peergroupers, observed through the
 * topology service exactly as the console wires it. 1 → 3 with both new
 * machines seen going adding-vote → has-vote, 3 → 5 with the re-run guard
 * refusing while they are on their way, `cannot reduce`, a refused login,
 * and DestroyMachines' refusal of a state server.
 */

/** The topology service's production poll interval, so the measured times are what an operator sees. */
const INTERVAL_MS = 1000;
let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let topology: TopologyService;
let operations: OperationManager;
let ha: HaService;
let closeHa: () => void;
const progress: HaApplyProgress[] = [];
/** Every vote status each machine showed, in order, from topology.changed. */
const voteHistory = new Map<string, VoteStatus[]>();
const measured: Record<string, number> = {};

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-ha-'));
  sandbox = await startSandbox({ home, machines: { stateServers: 1, workloads: 1 }, ...testMongoProfile() });
  const secrets = new SecretRegistry();
  const log = createMemoryLogger(secrets);
  const events = createEventHub({ log });
  operations = createOperationManager({ events, secrets, log, progressIntervalMs: 50 });
  manager = new ConnectionManager({ quorumHome: home, secrets, logger: log, backoff: { initialMs: 200, maxMs: 1000 } });
  const connection = manager.open(targetForSandbox(sandbox.describe()));
  topology = createTopologyService({
    openSource: async () => connectionTopologySource(connection),
    publish: (snapshot) => events.emit('topology.changed', snapshot),
    log,
    intervalMs: INTERVAL_MS,
  });
  events.subscribe((m) => {
    if (m.event === 'ha.applyProgress') progress.push(m.payload as HaApplyProgress);
    if (m.event !== 'topology.changed') return;
    for (const machine of (m.payload as TopologySnapshot).topology?.machines ?? []) {
      if (machine.voteStatus === null) continue;
      const seen = voteHistory.get(machine.id) ?? [];
      if (seen.at(-1) !== machine.voteStatus) seen.push(machine.voteStatus);
      voteHistory.set(machine.id, seen);
    }
  });
  const uuid = sandbox.describe().environment.uuid;
  const environment: Environment = {
    id: 'sandbox',
    name: 'sandbox',
    kind: 'sandbox',
    source: null,
    stateServers: [],
    sshUser: 'ubuntu',
    sshPort: 22,
    keyFile: null,
    environUuid: uuid,
    current: true,
    error: null,
  };
  const dispatcher = createDispatcher({}, { log, secrets });
  const registration = registerHa({
    home,
    dispatcher,
    events,
    log,
    secrets,
    operations,
    environments: { resolveTarget: async () => targetForSandbox(sandbox.describe()), get: async () => environment },
    connections: manager,
    topology,
  });
  ha = registration.service;
  closeHa = registration.close;
  topology.select('sandbox');
  topology.watch('test', true);
}, 120_000);

afterAll(async () => {
  closeHa?.();
  await operations?.close();
  await topology?.close();
  await manager?.close();
  await sandbox?.stop();
  await fs.rm(home, { recursive: true, force: true });
  console.log(`HA timings (topology interval ${INTERVAL_MS} ms): ${JSON.stringify(measured)}`);
}, 60_000);

async function eventually<T>(fn: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== null) return value;
    if (Date.now() > deadline) {
      const t = topology.snapshot().topology;
      const servers = t?.machines.filter((m) => m.isStateServer).map((m) => ({ id: m.id, agent: m.agentState, present: m.agentPresent, vote: m.voteStatus }));
      throw new Error(`timed out waiting for ${what}; plan ${JSON.stringify(await ha.recoveryPlan('sandbox'))}; state servers ${JSON.stringify(servers)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function refusal(p: Promise<unknown>): Promise<QuorumError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(e instanceof QuorumError)) throw new Error(`expected a QuorumError, got ${String(e)}`);
  return e;
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
