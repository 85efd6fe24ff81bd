import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QuorumError } from '../../../../shared/errors';
import type { Environment } from '../../../../shared/ipc/channels/environments';
import type { HaApplyProgress } from '../../../../shared/ipc/channels/ha';
import type { MachineView, Topology } from '../../../../shared/model/topology';
import type { TopologySnapshot } from '../../../../shared/model/topology-snapshot';
import type { VoteStatus } from '../../../../shared/model/vote-status';
import { SecretRegistry } from '../../../../shared/redact';
import { startSandbox, type Sandbox } from '../../../sandbox/sandbox';
import type { StartSandboxOptions } from '../../../sandbox/types';
import { ConnectionManager } from '../../connection/connection-manager';
import { targetForSandbox } from '../../environments/targets';
import { createDispatcher } from '../../ipc/dispatcher';
import { createEventHub } from '../../ipc/event-hub';
import { createMemoryLogger } from '../../log';
import { createOperationManager, type OperationManager } from '../../operations/operation-manager';
import { connectionTopologySource } from '../../topology/connection-source';
import { createTopologyService, type TopologyService } from '../../topology/topology-service';
import type { HaService } from '../ha-service';
import { registerHa } from '../register-ha';

/**
 * For HA integration tests: a real sandbox (Juju API server, provisioner,
 * peergroupers, presence pingers) under its own home, wired to the HA
 * service exactly as the console's composition root wires it — the
 * connection manager, the topology service at its production interval,
 * the operation manager and `registerHa` — with every vote status each
 * machine showed recorded from `topology.changed`.
 */

/** The topology service's production poll interval, so measured times are what an operator sees. */
export const TOPOLOGY_INTERVAL_MS = 1000;

export interface SandboxHa {
  readonly home: string;
  readonly sandbox: Sandbox;
  readonly ha: HaService;
  readonly topology: TopologyService;
  readonly operations: OperationManager;
  readonly progress: HaApplyProgress[];
  /** Every vote status each machine showed, in order, from topology.changed. */
  readonly voteHistory: Map<string, VoteStatus[]>;
  /** The latest topology (null before the first read). */
  current(): Topology | null;
  machine(id: string): MachineView | undefined;
  /** Polls `fn` every 100 ms until it returns non-null; the timeout's error shows the recovery plan and the state servers. */
  eventually<T>(fn: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T>;
  close(): Promise<void>;
}

export async function startSandboxHa(options: Omit<StartSandboxOptions, 'home'>): Promise<SandboxHa> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-ha-'));
  const sandbox = await startSandbox({ home, ...options });
  const secrets = new SecretRegistry();
  const log = createMemoryLogger(secrets);
  const events = createEventHub({ log });
  const operations = createOperationManager({ events, secrets, log, progressIntervalMs: 50 });
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger: log, backoff: { initialMs: 200, maxMs: 1000 } });
  const connection = manager.open(targetForSandbox(sandbox.describe()));
  const topology = createTopologyService({
    openSource: async () => connectionTopologySource(connection),
    publish: (snapshot) => events.emit('topology.changed', snapshot),
    log,
    intervalMs: TOPOLOGY_INTERVAL_MS,
  });
  const progress: HaApplyProgress[] = [];
  const voteHistory = new Map<string, VoteStatus[]>();
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
  const environment: Environment = {
    id: 'sandbox',
    name: 'sandbox',
    kind: 'sandbox',
    source: null,
    stateServers: [],
    sshUser: 'ubuntu',
    sshPort: 22,
    keyFile: null,
    environUuid: sandbox.describe().environment.uuid,
    current: true,
    error: null,
  };
  const registration = registerHa({
    home,
    dispatcher: createDispatcher({}, { log, secrets }),
    events,
    log,
    secrets,
    operations,
    environments: { resolveTarget: async () => targetForSandbox(sandbox.describe()), get: async () => environment },
    connections: manager,
    topology,
  });
  const ha = registration.service;
  topology.select('sandbox');
  topology.watch('test', true);
  const lease = setInterval(() => topology.watch('test', true), 10_000);

  const current = () => topology.snapshot().topology;
  const eventually = async <T>(fn: () => Promise<T | null> | T | null, timeoutMs: number, what: string): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value !== null) return value;
      if (Date.now() > deadline) {
        const servers = current()
          ?.machines.filter((m) => m.isStateServer)
          .map((m) => ({ id: m.id, agent: m.agentState, present: m.agentPresent, vote: m.voteStatus, member: m.member?.state }));
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; plan ${JSON.stringify(await ha.recoveryPlan('sandbox'))}; state servers ${JSON.stringify(servers)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  return {
    home,
    sandbox,
    ha,
    topology,
    operations,
    progress,
    voteHistory,
    current,
    machine: (id) => current()?.machines.find((m) => m.id === id),
    eventually,
    async close() {
      clearInterval(lease);
      registration.close();
      await operations.close();
      await topology.close();
      await manager.close();
      await sandbox.stop();
      await fs.rm(home, { recursive: true, force: true });
    },
  };
}

/** The QuorumError a promise rejects with (fails the test on anything else). */
export async function refusal(p: Promise<unknown>): Promise<QuorumError> {
  const e = await p.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(e instanceof QuorumError)) throw new Error(`expected a QuorumError, got ${String(e)}`);
  return e;
}
