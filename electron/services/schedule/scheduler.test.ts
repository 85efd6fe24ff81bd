import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { ScheduleSettings, ScheduleState } from '../../../shared/ipc/channels/schedule';
import { SecretRegistry } from '../../../shared/redact';
import { createMemoryLogger } from '../log';
import { createScheduler, type RunOutcome, type Scheduler } from './scheduler';
import { ScheduleStore } from './schedule-store';
import { FakeClock } from './testing/fake-clock';

const ENV = 'prod';
const HOUR = 3_600_000;
const HOURLY: ScheduleSettings = { cadence: { kind: 'interval', hours: 1 }, keep: 5, maxAgeDays: null, includeServer: false };

let home: string;
let clock: FakeClock;
let scheduler: Scheduler;
let runs: Array<{ at: string; settings: ScheduleSettings }>;
let outcomes: Array<RunOutcome | Error>;
let notifications: string[];
let states: ScheduleState[];
let logLines: string[];

function build(options: { run?: (environmentId: string, settings: ScheduleSettings) => Promise<RunOutcome> } = {}): Scheduler {
  const log = createMemoryLogger(new SecretRegistry());
  logLines = log.lines;
  return createScheduler({
    store: new ScheduleStore(home, log),
    clock,
    log,
    onChange: (s) => states.push(s),
    notify: (title, body) => notifications.push(`${title}: ${body}`),
    catchUpDelayMs: 60_000,
    run:
      options.run ??
      (async (_env, settings) => {
        runs.push({ at: clock.now().toISOString(), settings });
        const next = outcomes.shift() ?? { ok: true, backupId: `b${runs.length}`, localPath: null, message: `Backup b${runs.length} created.` };
        if (next instanceof Error) throw next;
        return next;
      }),
  });
}

const settle = () => scheduler.idle();

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-schedule-'));
  clock = new FakeClock(new Date('2024-05-01T10:00:00Z'));
  runs = [];
  outcomes = [];
  notifications = [];
  states = [];
  scheduler = build();
  await scheduler.start();
});

afterEach(async () => {
  await scheduler.close();
  await fs.rm(home, { recursive: true, force: true });
});

describe('scheduler', () => {
  it('shows the next run, runs when it falls due, and counts the next one from the run', async () => {
    const state = await scheduler.set(ENV, HOURLY);
    expect(state.nextRun).toBe('2024-05-01T11:00:00.000Z');
    await clock.advance(HOUR - 1, settle);
    expect(runs).toEqual([]);
    await clock.advance(1, settle);
    expect(runs.map((r) => r.at)).toEqual(['2024-05-01T11:00:00.000Z']);
    const after = await scheduler.get(ENV);
    expect(after).toMatchObject({ running: false, nextRun: '2024-05-01T12:00:00.000Z', failure: null });
    expect(after.lastRun).toMatchObject({ ok: true, backupId: 'b1', started: '2024-05-01T11:00:00.000Z', acknowledged: true, catchUp: false });
    await clock.advance(2 * HOUR, settle);
    expect(runs.map((r) => r.at)).toEqual(['2024-05-01T11:00:00.000Z', '2024-05-01T12:00:00.000Z', '2024-05-01T13:00:00.000Z']);
    expect(states.some((s) => s.running)).toBe(true);
    expect(logLines.some((l) => l.includes('scheduled backup of prod started'))).toBe(true);
  });

  it('keeps a failed run until it is acknowledged, even after a later success, and notifies', async () => {
    await scheduler.set(ENV, HOURLY);
    outcomes.push(new QuorumError('host-unreachable', 'No state server of this environment can be reached. Check the Topology page.'));
    await clock.advance(HOUR, settle);
    let s = await scheduler.get(ENV);
    expect(s.failure).toMatchObject({ ok: false, acknowledged: false, message: 'No state server of this environment can be reached. Check the Topology page.' });
    expect(notifications).toEqual(['Scheduled backup of prod failed: No state server of this environment can be reached. Check the Topology page.']);
    await clock.advance(HOUR, settle);
    s = await scheduler.get(ENV);
    expect(s.lastRun).toMatchObject({ ok: true });
    expect(s.failure).toMatchObject({ ok: false, started: '2024-05-01T11:00:00.000Z' });
    expect(notifications).toHaveLength(2);
    expect(notifications[1]).toMatch(/^Scheduled backup of prod succeeded/);
    // The failure survives a restart.
    await scheduler.close();
    scheduler = build();
    await scheduler.start();
    expect((await scheduler.get(ENV)).failure).not.toBeNull();
    s = await scheduler.acknowledge(ENV);
    expect(s.failure).toBeNull();
    expect(s.lastRun).toMatchObject({ ok: true });
  });

  it('a failed run as the last one is marked acknowledged', async () => {
    await scheduler.set(ENV, HOURLY);
    outcomes.push({ ok: false, backupId: null, localPath: null, message: 'The backup was not created: disk full.' });
    await clock.advance(HOUR, settle);
    expect((await scheduler.get(ENV)).lastRun).toMatchObject({ acknowledged: false });
    expect((await scheduler.acknowledge(ENV)).lastRun).toMatchObject({ ok: false, acknowledged: true });
  });

  it('never overlaps runs of one environment: a long run delays the next to one catch-up', async () => {
    let release!: () => void;
    await scheduler.close();
    scheduler = build({
      run: async (_env, settings) => {
        runs.push({ at: clock.now().toISOString(), settings });
        if (runs.length === 1) await new Promise<void>((r) => (release = r));
        return { ok: true, backupId: null, localPath: null, message: 'done' };
      },
    });
    await scheduler.start();
    await scheduler.set(ENV, HOURLY);
    await clock.advance(HOUR);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect((await scheduler.get(ENV)).running).toBe(true);
    await clock.advance(3 * HOUR); // three more due times pass during the run
    expect(runs).toHaveLength(1);
    expect(clock.pending()).toEqual([]);
    release();
    await scheduler.idle();
    expect(clock.pending()).toEqual(['2024-05-01T14:01:00.000Z']); // one catch-up, a minute on
    await clock.advance(HOUR, settle);
    expect(runs.map((r) => r.at)).toEqual(['2024-05-01T11:00:00.000Z', '2024-05-01T14:01:00.000Z']);
  });

  it('a run missed while Quorum was closed runs once shortly after start, never as a burst', async () => {
    await scheduler.set(ENV, HOURLY);
    await scheduler.close();
    await clock.advance(3 * 24 * HOUR); // Quorum closed for three days
    scheduler = build();
    await scheduler.start();
    expect((await scheduler.get(ENV)).nextRun).toBe('2024-05-04T10:01:00.000Z');
    expect(logLines.some((l) => l.includes('fell due while Quorum was not running'))).toBe(true);
    await clock.advance(HOUR, settle);
    expect(runs.map((r) => r.at)).toEqual(['2024-05-04T10:01:00.000Z']);
    expect((await scheduler.get(ENV)).lastRun).toMatchObject({ catchUp: true });
    expect((await scheduler.get(ENV)).nextRun).toBe('2024-05-04T11:01:00.000Z');
  });

  it('daily at a local time; turning it off stops the runs but keeps the last result', async () => {
    const daily: ScheduleSettings = { ...HOURLY, cadence: { kind: 'daily', time: '00:00' } };
    const s = await scheduler.set(ENV, daily);
    const due = new Date(s.nextRun!);
    expect([due.getHours(), due.getMinutes()]).toEqual([0, 0]);
    await clock.advance(due.getTime() - clock.now().getTime(), settle);
    expect(runs).toHaveLength(1);
    const off = await scheduler.clear(ENV);
    expect(off).toMatchObject({ settings: null, nextRun: null, lastRun: { ok: true } });
    await clock.advance(3 * 24 * HOUR, settle);
    expect(runs).toHaveLength(1);
  });

  it('editing only retention keeps the next run; a new cadence restarts it', async () => {
    await scheduler.set(ENV, HOURLY);
    await clock.advance(30 * 60_000, settle);
    expect((await scheduler.set(ENV, { ...HOURLY, keep: 2 })).nextRun).toBe('2024-05-01T11:00:00.000Z');
    expect((await scheduler.set(ENV, { ...HOURLY, cadence: { kind: 'interval', hours: 2 } })).nextRun).toBe('2024-05-01T12:30:00.000Z');
  });

  it('persists settings and results in QUORUM_HOME/schedules.json', async () => {
    await scheduler.set(ENV, HOURLY);
    await clock.advance(HOUR, settle);
    const saved = JSON.parse(await fs.readFile(path.join(home, 'schedules.json'), 'utf8')) as { environments: Record<string, unknown> };
    expect(saved.environments[ENV]).toMatchObject({ settings: HOURLY, anchor: '2024-05-01T11:00:00.000Z', lastRun: { ok: true } });
    expect((await fs.stat(path.join(home, 'schedules.json'))).mode & 0o777).toBe(0o600);
  });
});
