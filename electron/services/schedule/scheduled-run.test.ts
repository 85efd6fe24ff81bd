import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backupIdFor, type BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import type { BackupListItem } from '../../../shared/ipc/channels/backups';
import type { ScheduleSettings } from '../../../shared/ipc/channels/schedule';
import { SecretRegistry } from '../../../shared/redact';
import type { BackupsService } from '../backups/backups-service';
import type { ConnectionManager } from '../connection/connection-manager';
import type { ConnectionTarget } from '../environments/target';
import { createMemoryLogger } from '../log';
import type { OperationSnapshot } from '../../../shared/ipc/operations';
import type { OperationManager } from '../operations/operation-manager';
import { ConnectionLeases } from './connection-leases';
import { scheduledBackupRunner } from './scheduled-run';
import { createScheduler, type Scheduler } from './scheduler';
import { ScheduleStore } from './schedule-store';
import { FakeClock } from './testing/fake-clock';

/**
 * A scheduled run end to end over a fake clock and an in-memory backups
 * service: each run creates a backup (through `create` and the operation's
 * result) and then applies the schedule's retention, so over days the
 * library holds what the policy says, the newest verified backup survives
 * every limit, and files that are not Juju backups are never touched.
 */

const ENV = 'prod';
const UUID = '11111111-2222-4333-8444-555555555555';
const HOUR = 3_600_000;

let home: string;
let clock: FakeClock;
let scheduler: Scheduler;
let items: BackupListItem[];
let deleted: string[];
let removedFromServer: string[];
let failCreate: QuorumError | null;
/** Whether the next backups created count as verified. */
let verifyNew: boolean;
let leasesOpened: number;
let leasesClosed: number;
let changedEvents: number;

function fakeBackups(): BackupsService {
  const finished = new Map<string, OperationSnapshot>();
  const service = {
    async create() {
      if (failCreate) throw failCreate;
      const started = clock.now();
      const id = backupIdFor(started, UUID);
      const metadata: BackupMetadata = { id, checksum: 'c', checksumFormat: 'SHA-1, base64 encoded', size: 1, stored: started.toISOString(), started: started.toISOString(), finished: started.toISOString(), notes: '', environment: UUID, machine: '0', hostname: 'h', version: '1.25.6' };
      const localPath = `/lib/juju-backup-${id}.tar.gz`;
      items.unshift({ id, location: 'both', metadata, localPath, checksumState: verifyNew ? 'verified' : 'unverified' });
      const operationId = `op-${id}`;
      finished.set(operationId, { state: 'succeeded', result: { metadata, localPath, warning: null } } as unknown as OperationSnapshot);
      return { operationId };
    },
    async list() {
      return { folder: '/lib', items: [...items], invalid: [{ localPath: '/lib/holiday-photos.tar.gz', reason: 'not a gzip file' }], serverError: null };
    },
    async deleteLocal(p: string) {
      deleted.push(p);
      items = items.flatMap((i) => (i.localPath !== p ? [i] : i.location === 'both' ? [{ ...i, location: 'server' as const, localPath: null }] : []));
      return p;
    },
    async remove(_env: string, id: string) {
      removedFromServer.push(id);
      items = items.flatMap((i) => (i.id !== id ? [i] : i.location === 'both' ? [{ ...i, location: 'local' as const }] : []));
    },
    async environmentUuid() {
      return UUID;
    },
  };
  const operations = { whenFinished: async (id: string) => finished.get(id)! } as Pick<OperationManager, 'whenFinished'>;
  return Object.assign(service, { operations }) as unknown as BackupsService;
}

function build(settings: ScheduleSettings): Promise<unknown> {
  const log = createMemoryLogger(new SecretRegistry());
  const backups = fakeBackups();
  const manager = {
    open: () => {
      throw new Error('a scheduled run must use its lease');
    },
    openDetached: () => {
      leasesOpened += 1;
      return { closed: false, close: async () => void (leasesClosed += 1) };
    },
  } as unknown as Pick<ConnectionManager, 'open' | 'openDetached'>;
  scheduler = createScheduler({
    store: new ScheduleStore(home, log),
    clock,
    log,
    onChange: () => undefined,
    run: scheduledBackupRunner({
      backups,
      operations: (backups as unknown as { operations: Pick<OperationManager, 'whenFinished'> }).operations,
      environments: { resolveTarget: async (id) => ({ environmentId: id }) as ConnectionTarget },
      leases: new ConnectionLeases(manager),
      log,
      emitBackupsChanged: () => void (changedEvents += 1),
      now: () => clock.now(),
    }),
  });
  return scheduler.start().then(() => scheduler.set(ENV, settings));
}

const settle = () => scheduler.idle();

beforeEach(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-scheduled-run-'));
  clock = new FakeClock(new Date('2024-05-01T10:00:00Z'));
  items = [];
  deleted = [];
  removedFromServer = [];
  failCreate = null;
  verifyNew = true;
  leasesOpened = 0;
  leasesClosed = 0;
  changedEvents = 0;
});

afterEach(async () => {
  await scheduler.close();
  await fs.rm(home, { recursive: true, force: true });
});

const localCount = () => items.filter((i) => i.localPath !== null).length;

describe('scheduled run', () => {
  it('creates a backup on a lease of its own, then keeps the newest N locally and leaves the server alone', async () => {
    await build({ cadence: { kind: 'interval', hours: 6 }, keep: 3, maxAgeDays: null, includeServer: false });
    await clock.advance(5 * 6 * HOUR, settle);
    expect(items).toHaveLength(5);
    expect(localCount()).toBe(3);
    expect(deleted).toHaveLength(2);
    expect(removedFromServer).toEqual([]);
    expect([leasesOpened, leasesClosed]).toEqual([5, 5]);
    expect(changedEvents).toBe(5);
    const last = (await scheduler.get(ENV)).lastRun!;
    expect(last).toMatchObject({ ok: true, backupId: items[0]!.id });
    expect(last.message).toMatch(/^Backup \S+ created \(juju-backup-\S+\.tar\.gz\); retention removed 1\.$/);
  });

  it('by age in both places, never the newest verified backup nor a file it cannot identify', async () => {
    await build({ cadence: { kind: 'daily', time: '12:00' }, keep: null, maxAgeDays: 2, includeServer: true });
    // The first backup is the only verified one.
    await clock.advance(24 * HOUR, settle);
    const firstId = items[0]!.id;
    verifyNew = false;
    await clock.advance(6 * 24 * HOUR, settle);
    const ids = items.map((i) => i.id);
    expect(ids).toContain(firstId); // 6 days old, the only verified one: kept
    expect(items.filter((i) => i.id !== firstId)).toHaveLength(3); // today's and the two before
    expect(deleted).not.toContain('/lib/holiday-photos.tar.gz');
    expect(removedFromServer.length).toBeGreaterThan(0);
    expect(removedFromServer).not.toContain(firstId);
  });

  it('a backup that cannot be created is a failed run, kept until acknowledged', async () => {
    await build({ cadence: { kind: 'interval', hours: 1 }, keep: 2, maxAgeDays: null, includeServer: false });
    failCreate = new QuorumError('busy', 'Another backup of this environment is running. Wait for it to finish.');
    await clock.advance(HOUR, settle);
    failCreate = null;
    await clock.advance(HOUR, settle);
    const s = await scheduler.get(ENV);
    expect(s.lastRun).toMatchObject({ ok: true });
    expect(s.failure).toMatchObject({ ok: false, message: 'Another backup of this environment is running. Wait for it to finish.', acknowledged: false });
    expect([leasesOpened, leasesClosed]).toEqual([2, 2]);
  });
});
