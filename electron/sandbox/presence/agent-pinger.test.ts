import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PRESENCE_PING_INTERVAL_MS, timeSlot } from '../../../shared/model/presence';
import { AgentPinger, type PresenceWrites } from './agent-pinger';
import { SandboxPresence, type PresenceMachine } from './sandbox-presence';

/** Records what the pingers write; fails on demand like a replica set without a primary. */
class FakeWrites implements PresenceWrites {
  nextSeq = 1;
  failing = false;
  readonly beings: { seq: number; key: string }[] = [];
  readonly pings: { seq: number; slot: number }[] = [];
  closed = false;
  async allocate(key: string): Promise<number> {
    if (this.failing) throw new Error('no primary');
    const seq = this.nextSeq++;
    this.beings.push({ seq, key });
    return seq;
  }
  async ping(seq: number, slot: number): Promise<void> {
    if (this.failing) throw new Error('no primary');
    this.pings.push({ seq, slot });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2025, 5, 15, 15, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('AgentPinger', () => {
  it('takes a sequence, pings at once, then every (period + 1) * 0.75 s, never twice in one slot', async () => {
    const writes = new FakeWrites();
    const pinger = new AgentPinger('m#3', writes);
    await pinger.start();
    expect(writes.beings).toEqual([{ seq: 1, key: 'm#3' }]);
    expect(writes.pings).toEqual([{ seq: 1, slot: timeSlot(Date.now()) }]);
    // 15:00:01 → 15:00:24.25 (same slot, skipped) → 15:00:47.5 → 15:01:10.75 → 15:01:34
    await vi.advanceTimersByTimeAsync(4 * PRESENCE_PING_INTERVAL_MS);
    const slots = writes.pings.map((p) => p.slot - writes.pings[0]!.slot);
    expect(slots).toEqual([0, 30, 60, 90]);
    pinger.stop();
  });

  it('stops pinging on stop and takes a new sequence when started again (as Juju agents do)', async () => {
    const writes = new FakeWrites();
    const pinger = new AgentPinger('u#mysql/0', writes);
    await pinger.start();
    pinger.stop();
    expect(pinger.running).toBe(false);
    await vi.advanceTimersByTimeAsync(10 * PRESENCE_PING_INTERVAL_MS);
    expect(writes.pings).toHaveLength(1);
    await pinger.start();
    expect(writes.beings.map((b) => b.seq)).toEqual([1, 2]);
    expect(writes.pings.at(-1)?.seq).toBe(2);
    pinger.stop();
  });

  it('retries every second while there is no primary, and its first ping resolves start', async () => {
    const writes = new FakeWrites();
    writes.failing = true;
    const pinger = new AgentPinger('m#4', writes);
    let pinged = false;
    void pinger.start().then(() => (pinged = true));
    await vi.advanceTimersByTimeAsync(3_500);
    expect(pinged).toBe(false);
    expect(writes.pings).toHaveLength(0);
    writes.failing = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pinged).toBe(true);
    expect(writes.pings).toHaveLength(1);
    expect(writes.beings).toHaveLength(1);
    pinger.stop();
  });
});

describe('SandboxPresence', () => {
  function machine(powered: boolean, running: Set<string>, agents: [string, string][]): PresenceMachine & { powered: boolean } {
    return { powered, agents: agents.map(([service, key]) => ({ service, key })), isRunning: (s) => running.has(s) };
  }

  it('runs the agents of powered machines whose job runs, and follows power and job changes', async () => {
    const writes = new FakeWrites();
    const jobs3 = new Set(['jujud-machine-3', 'jujud-unit-mysql-0']);
    const jobs4 = new Set(['jujud-machine-4']);
    const m3 = machine(true, jobs3, [
      ['jujud-machine-3', 'm#3'],
      ['jujud-unit-mysql-0', 'u#mysql/0'],
    ]);
    const m4 = machine(true, jobs4, [['jujud-machine-4', 'm#4']]);
    const presence = new SandboxPresence(() => [m3, m4], writes, { reconcileMs: 1000 });
    await presence.start();
    expect(presence.pinging().sort()).toEqual(['m#3', 'm#4', 'u#mysql/0']);

    m3.powered = false;
    jobs4.delete('jujud-machine-4');
    await vi.advanceTimersByTimeAsync(1000);
    expect(presence.pinging()).toEqual([]);

    m3.powered = true;
    jobs3.delete('jujud-unit-mysql-0');
    presence.reconcile();
    expect(presence.pinging()).toEqual(['m#3']);

    await presence.stop();
    expect(presence.pinging()).toEqual([]);
    expect(writes.closed).toBe(true);
  });

  it('does not wait past startWaitMs for pings that cannot land', async () => {
    const writes = new FakeWrites();
    writes.failing = true;
    const presence = new SandboxPresence(() => [machine(true, new Set(['jujud-machine-0']), [['jujud-machine-0', 'm#0']])], writes, { startWaitMs: 2000 });
    let started = false;
    void presence.start().then(() => (started = true));
    await vi.advanceTimersByTimeAsync(1900);
    expect(started).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(started).toBe(true);
    await presence.stop();
  });
});
