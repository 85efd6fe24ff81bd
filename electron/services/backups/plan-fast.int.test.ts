import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { StateServerSession } from '../connection/state-server-session';
import { startBackupsHarness, type BackupsHarness } from './testing/backups-harness';

/**
 * The Backups page asks for a plan as soon as it opens: with juju-db down it
 * must say so at once (it took ~22 s: four attempts, each waiting out a
 * connect timeout), and with juju-db down on one state server only it must
 * still plan from the others, showing that one as unhealthy.
 */

let harness: BackupsHarness | undefined;

beforeAll(async () => {
  harness = await startBackupsHarness({ tmpPrefix: 'quorum-plan-fast-', readiness: { timeoutMs: 10_000, pollMs: 300 }, progressIntervalMs: 50, onPhase: () => undefined });
});

afterAll(async () => {
  await harness?.close();
});

async function session(address: string): Promise<StateServerSession> {
  const h = harness!;
  return h.manager.open(h.target).stateServer(address);
}

/** `sudo -n service juju-db stop|start` over SSH, as an operator (or an outage) would. */
async function jujuDb(address: string, action: 'start' | 'stop'): Promise<void> {
  await (await session(address)).run({ kind: 'service', service: 'juju-db', action });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T | null; error: unknown }> {
  const started = performance.now();
  try {
    const value = await fn();
    return { ms: Math.round(performance.now() - started), value, error: null };
  } catch (error) {
    return { ms: Math.round(performance.now() - started), value: null, error };
  }
}

describe('backup plan against the sandbox with juju-db down', () => {
  it('plans at once while every juju-db runs', async () => {
    const h = harness!;
    const result = await timed(() => h.service.plan(h.target.environmentId));
    expect(result.error).toBeNull();
    expect(result.value?.machines.map((m) => m.machineId)).toEqual(['0', '1', '2']);
    expect(result.value?.suggestedMachineId).toBe('0');
    console.info(`plan, juju-db up: ${result.ms} ms`);
  });

  it("fails within 3 s with juju-db's reason when juju-db is down on every state server", async () => {
    const h = harness!;
    const addresses = h.target.stateServers.map((s) => s.address);
    for (const a of addresses) await jujuDb(a, 'stop');
    try {
      const result = await timed(() => h.service.plan(h.target.environmentId));
      console.info(`plan, juju-db down everywhere: failed after ${result.ms} ms: ${String((result.error as Error | null)?.message)}`);
      expect(result.error).toBeInstanceOf(QuorumError);
      expect((result.error as QuorumError).code).toBe('mongo-unavailable');
      expect(result.ms).toBeLessThan(3_000);
      // Asked again (the page's Try again): still at once.
      const again = await timed(() => h.service.plan(h.target.environmentId));
      expect(again.error).toBeInstanceOf(QuorumError);
      expect(again.ms).toBeLessThan(3_000);
    } finally {
      for (const a of addresses) await jujuDb(a, 'start');
    }
    // Back up: the plan reads again (juju-db elects a primary within a few seconds).
    await expect.poll(async () => (await timed(() => h.service.plan(h.target.environmentId))).value?.suggestedMachineId ?? null, { timeout: 20_000, interval: 500 }).not.toBeNull();
  }, 60_000);

  it('plans from the other state servers when juju-db is down on machine 0 only, machine 1 suggested', async () => {
    const h = harness!;
    const zero = h.target.stateServers[0]!.address;
    await jujuDb(zero, 'stop');
    try {
      const result = await timed(() => h.service.plan(h.target.environmentId));
      console.info(`plan, juju-db down on machine 0: ${result.ms} ms`);
      expect(result.error).toBeNull();
      expect(result.ms).toBeLessThan(3_000);
      // The members still see machine 0 as healthy until their heartbeat lapses; the initial state server follows.
      await expect
        .poll(async () => (await h.service.plan(h.target.environmentId)).suggestedMachineId, { timeout: 20_000, interval: 500 })
        .toBe('1');
    } finally {
      await jujuDb(zero, 'start');
    }
  }, 60_000);
});
