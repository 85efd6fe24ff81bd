import { afterEach, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { syntheticInput, type SyntheticOptions } from '../../../shared/model/synthetic-topology';
import type { TopologySnapshot } from '../../../shared/model/topology-snapshot';
import { SecretRegistry } from '../../../shared/redact';
import { createMemoryLogger } from '../log';
import type { RoundFacts } from './topology-reader';
import { createTopologyService, type TopologyService, type TopologySource } from './topology-service';

/**
 * The scheduling and publishing rules, over an in-memory source of facts.
 * The reads themselves are exercised against the real sandbox in
 * `topology-service.int.test.ts`.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function facts(options: SyntheticOptions = {}): RoundFacts {
  const input = syntheticInput(options);
  return { juju: input.juju, replicaSet: input.replicaSet };
}

interface FakeSource extends TopologySource {
  readonly reads: string[];
  behaviour: Record<string, () => Promise<RoundFacts>>;
}

function fakeSource(addresses = ['10.23.0.10', '10.23.0.11', '10.23.0.12']): FakeSource {
  const reads: string[] = [];
  const source: FakeSource = {
    addresses,
    reads,
    behaviour: {},
    read(address) {
      reads.push(address);
      const b = source.behaviour[address];
      return b ? b() : Promise.resolve(facts());
    },
  };
  return source;
}

const unreachable = (address: string) => () => Promise.reject(new QuorumError('host-unreachable', `Could not reach ${address} over SSH: connection refused.`));

let service: TopologyService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

function start(source: FakeSource | Promise<FakeSource>, overrides: { intervalMs?: number; leaseMs?: number; hedgeMs?: number; idleIntervalMs?: number } = {}) {
  const published: TopologySnapshot[] = [];
  const opened: string[] = [];
  const log = createMemoryLogger(new SecretRegistry());
  service = createTopologyService({
    openSource: async (id) => {
      opened.push(id);
      return source;
    },
    publish: (s) => published.push(s),
    log,
    intervalMs: overrides.intervalMs ?? 40,
    hedgeMs: overrides.hedgeMs ?? 60,
    roundTimeoutMs: 1000,
    ...(overrides.leaseMs === undefined ? {} : { leaseMs: overrides.leaseMs }),
    ...(overrides.idleIntervalMs === undefined ? {} : { idleIntervalMs: overrides.idleIntervalMs }),
  });
  return { service, published, opened, log };
}

async function until(condition: () => boolean, timeoutMs = 3000) {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('topology service', () => {
  it('polls once per interval however many windows watch, and publishes only changes', async () => {
    const source = fakeSource();
    const { service, published } = start(source);
    service.select('sandbox');
    expect(service.snapshot()).toMatchObject({ environmentId: 'sandbox', status: 'loading', topology: null });
    for (const w of ['window-1', 'window-2', 'window-3']) service.watch(w, true);
    await sleep(420);
    // ~10 intervals of 40 ms: one read each, not one per watcher.
    expect(source.reads.length).toBeGreaterThanOrEqual(6);
    expect(source.reads.length).toBeLessThanOrEqual(12);
    expect(published.map((s) => s.status)).toEqual(['loading', 'ready']);
    expect(service.snapshot().topology?.primary).toBe('0');
    // Renewing leases adds no rounds.
    const before = source.reads.length;
    for (let i = 0; i < 20; i++) service.watch('window-1', true);
    expect(source.reads.length).toBe(before);
  });

  it('publishes a failover, then reads from the new primary first', async () => {
    const source = fakeSource();
    const { service, published } = start(source);
    service.select('sandbox');
    service.watch('w', true);
    await until(() => service.snapshot().status === 'ready');
    expect(source.reads.every((a) => a === '10.23.0.10')).toBe(true);
    source.behaviour['10.23.0.10'] = unreachable('10.23.0.10');
    source.behaviour['10.23.0.11'] = async () => facts({ down: ['0'], primary: '2' });
    source.behaviour['10.23.0.12'] = async () => facts({ down: ['0'], primary: '2' });
    await until(() => service.snapshot().topology?.primary === '2');
    const t = service.snapshot().topology!;
    expect(t.machines.find((m) => m.id === '0')).toMatchObject({ agentState: 'down', reachable: false });
    expect(published.at(-1)?.status).toBe('ready');
    source.reads.length = 0;
    await sleep(150);
    expect(source.reads[0]).toBe('10.23.0.12');
    expect(new Set(source.reads)).toEqual(new Set(['10.23.0.12']));
  });

  it('asks the next state server when one hangs, so a round still ends quickly', async () => {
    const source = fakeSource();
    source.behaviour['10.23.0.10'] = () => new Promise(() => undefined);
    const { service } = start(source, { hedgeMs: 50 });
    service.select('sandbox');
    service.watch('w', true);
    const t0 = Date.now();
    await until(() => service.snapshot().status === 'ready');
    expect(Date.now() - t0).toBeLessThan(500);
    expect(service.snapshot().topology?.readFrom).toBe('10.23.0.11');
  });

  it('with no state server reachable, shows the most actionable error and keeps last known machines, stale and down', async () => {
    const source = fakeSource();
    const { service } = start(source);
    service.select('sandbox');
    service.watch('w', true);
    await until(() => service.snapshot().status === 'ready');
    source.behaviour['10.23.0.10'] = unreachable('10.23.0.10');
    source.behaviour['10.23.0.11'] = () =>
      Promise.reject(new QuorumError('host-key-unknown', 'Quorum has not seen 10.23.0.11 before.', { details: { fingerprint: 'SHA256:abc' } }));
    source.behaviour['10.23.0.12'] = unreachable('10.23.0.12');
    await until(() => service.snapshot().status === 'error');
    const s = service.snapshot();
    expect(s.error).toMatchObject({ code: 'host-key-unknown', details: { fingerprint: 'SHA256:abc' } });
    expect(s.topology?.stale).toBe(true);
    expect(s.topology?.machines.map((m) => m.id)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(s.topology?.machines.filter((m) => m.isStateServer).every((m) => m.agentState === 'down')).toBe(true);
    // Recovery clears the error.
    source.behaviour = {};
    await until(() => service.snapshot().status === 'ready');
    expect(service.snapshot().topology?.stale).toBe(false);
  });

  it('reports a source that cannot be opened, and retries it', async () => {
    let attempts = 0;
    const failing = createTopologyService({
      openSource: async () => {
        attempts++;
        if (attempts === 1) throw new QuorumError('environment-invalid', 'The environment prod has no state-server addresses. Edit it and add one.');
        return fakeSource();
      },
      publish: () => undefined,
      log: createMemoryLogger(new SecretRegistry()),
      intervalMs: 30,
    });
    failing.select('manual:prod');
    failing.watch('w', true);
    await until(() => failing.snapshot().status === 'error');
    expect(failing.snapshot()).toMatchObject({ topology: null, error: { code: 'environment-invalid' } });
    await until(() => failing.snapshot().status === 'ready');
    expect(attempts).toBe(2);
    await failing.close();
  });

  it('stops polling when nobody watches, or the lease lapses', async () => {
    const source = fakeSource();
    const { service } = start(source, { leaseMs: 150 });
    service.select('sandbox');
    service.watch('w', true);
    await until(() => service.snapshot().status === 'ready');
    await sleep(300);
    const count = source.reads.length;
    await sleep(200);
    expect(source.reads.length).toBe(count);
    service.watch('w', true);
    await until(() => source.reads.length > count);
    service.watch('w', false);
    await sleep(60);
    const after = source.reads.length;
    await sleep(200);
    expect(source.reads.length).toBe(after);
  });

  it('switching environment stops the old poll at once and starts over', async () => {
    const sandbox = fakeSource();
    const other = fakeSource(['192.168.1.5']);
    const published: TopologySnapshot[] = [];
    service = createTopologyService({
      openSource: async (id) => (id === 'sandbox' ? sandbox : other),
      publish: (s) => published.push(s),
      log: createMemoryLogger(new SecretRegistry()),
      intervalMs: 30,
    });
    service.select('sandbox');
    service.watch('w', true);
    await until(() => service!.snapshot().status === 'ready');
    service.select('juju:prod');
    expect(service.snapshot()).toMatchObject({ environmentId: 'juju:prod', status: 'loading', topology: null });
    const sandboxReads = sandbox.reads.length;
    await until(() => service!.snapshot().status === 'ready');
    await sleep(100);
    expect(sandbox.reads.length).toBeLessThanOrEqual(sandboxReads + 1);
    expect(other.reads.length).toBeGreaterThan(1);
    expect(service.snapshot().topology?.environmentId).toBe('juju:prod');
    service.select(null);
    expect(service.snapshot().status).toBe('idle');
    const otherReads = other.reads.length;
    await sleep(100);
    expect(other.reads.length).toBeLessThanOrEqual(otherReads + 1);
  });

  it('close ends polling and waits for the round in flight', async () => {
    const source = fakeSource();
    const { service } = start(source);
    service.select('sandbox');
    service.watch('w', true);
    await until(() => service.snapshot().status === 'ready');
    await service.close();
    const count = source.reads.length;
    await sleep(120);
    expect(source.reads.length).toBe(count);
  });

  it('backs off while every watcher is hidden, and reads at once when one shows again', async () => {
    const source = fakeSource();
    const { service } = start(source, { idleIntervalMs: 400 });
    service.select('env-1');
    service.watch('electron:wc-1', true);
    await until(() => service.rounds >= 3);
    service.audience('electron:wc-1', 'hidden');
    await sleep(60);
    const hiddenFrom = service.rounds;
    await sleep(300);
    // At most the one round that was already scheduled, not one per 40 ms.
    expect(service.rounds - hiddenFrom).toBeLessThanOrEqual(1);
    const before = service.rounds;
    service.audience('electron:wc-1', 'visible');
    await until(() => service.rounds > before, 100);
    await until(() => service.rounds >= before + 4, 1000);
  });

  it('a visible watcher keeps the normal rate even when another one is hidden', async () => {
    const source = fakeSource();
    const { service } = start(source, { idleIntervalMs: 10_000 });
    service.select('env-1');
    service.watch('electron:wc-1', true);
    service.watch('browser:ws-2', true);
    service.audience('electron:wc-1', 'hidden');
    const from = service.rounds;
    await sleep(300);
    expect(service.rounds - from).toBeGreaterThanOrEqual(4);
  });

  it('ends a watch at once when its tab is gone, instead of polling until the lease lapses', async () => {
    const source = fakeSource();
    const { service } = start(source, { leaseMs: 60_000 });
    service.select('env-1');
    service.watch('browser:ws-1', true);
    await until(() => service.rounds >= 2);
    service.audience('browser:ws-1', 'gone');
    await sleep(60);
    const after = service.rounds;
    await sleep(250);
    expect(service.rounds).toBe(after);
  });

  it('logs each change of state once at info, not every round; another reason is another change', async () => {
    const source = fakeSource();
    const { service, log } = start(source);
    service.select('env-1');
    service.watch('w', true);
    await until(() => service.rounds >= 3);
    source.behaviour = Object.fromEntries(source.addresses.map((a) => [a, unreachable(a)]));
    await until(() => service.snapshot().status === 'error');
    const errorRounds = service.rounds;
    await until(() => service.rounds >= errorRounds + 3);
    source.behaviour = Object.fromEntries(source.addresses.map((a) => [a, () => Promise.reject(new QuorumError('mongo-unavailable', `juju-db's port is closed on ${a}.`, { details: { raw: '(SSH) Channel open failure' } }))]));
    await until(() => service.snapshot().error?.code === 'mongo-unavailable');
    await until(() => service.rounds >= errorRounds + 6);
    source.behaviour = {};
    await until(() => service.snapshot().status === 'ready');
    await until(() => service.rounds >= errorRounds + 9);
    const lines = log.lines.filter((line) => /Reading the topology|Cannot read the topology/.test(line));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toContain('Reading the topology');
    expect(lines[1]).toContain('host-unreachable');
    expect(lines[2]).toContain('mongo-unavailable');
    expect(lines[2]).toContain('Channel open failure');
    expect(lines[3]).toContain('Reading the topology');
    expect(lines.every((line) => line.startsWith('info [topology] '))).toBe(true);
  });
});
