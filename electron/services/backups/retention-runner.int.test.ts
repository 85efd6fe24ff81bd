import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import type { OperationManager } from '../operations/operation-manager';
import type { BackupsService } from './backups-service';
import { applyRetention } from './retention-runner';
import { startBackupsHarness, type BackupsHarness } from './testing/backups-harness';

/**
 * Retention against the sandbox with real archives on disk and real server
 * copies: count, age, the newest verified kept whatever the policy, files
 * that are not Juju backups never touched, the server pruned only when asked,
 * a dry run deleting nothing.
 */

const ENV = 'sandbox';
let harness: BackupsHarness | undefined;
let home: string;
let service: BackupsService;
let operations: OperationManager;
const ids: string[] = [];

async function runCreate(): Promise<CreateBackupResult> {
  const { operationId } = await service.create(ENV, { notes: 'retention', keepLocal: true });
  const done = await operations.whenFinished(operationId);
  if (done.state !== 'succeeded') throw new Error(`backup ${done.state}: ${done.error?.message}`);
  return done.result as CreateBackupResult;
}

async function localIds(): Promise<string[]> {
  return (await service.list(ENV)).items.filter((i) => i.localPath !== null).map((i) => i.id);
}

async function serverIds(): Promise<string[]> {
  return (await service.list(ENV)).items.filter((i) => i.location !== 'local').map((i) => i.id);
}

beforeAll(async () => {
  harness = await startBackupsHarness({ tmpPrefix: 'quorum-retention-', readiness: { timeoutMs: 5_000, pollMs: 300 }, progressIntervalMs: 50, onPhase: () => undefined });
  ({ home, service, operations } = harness);
  for (let n = 0; n < 3; n += 1) {
    if (n > 0) await new Promise((r) => setTimeout(r, 1100)); // backup IDs are per second
    ids.push((await runCreate()).metadata!.id);
  }
  ids.reverse(); // newest first
  await fs.writeFile(path.join(home, 'backups', 'holiday-photos.tar.gz'), zlib.gzipSync(Buffer.from('not a backup'.repeat(50))));
  await fs.writeFile(path.join(home, 'backups', 'broken.tgz'), 'plain text');
});

afterAll(async () => {
  await harness?.close();
});

describe('applyRetention on the sandbox', () => {
  it('a dry run plans the removals and deletes nothing', async () => {
    const r = await applyRetention({ backups: service, environmentId: ENV, policy: { keep: 1 }, includeServer: true, dryRun: true });
    expect(r.removed.map((i) => `${i.location}:${i.id}`).sort()).toEqual([`local:${ids[1]}`, `local:${ids[2]}`, `server:${ids[1]}`, `server:${ids[2]}`].sort());
    expect(r.skipped.map((i) => path.basename(i.key)).sort()).toEqual(['broken.tgz', 'holiday-photos.tar.gz']);
    expect((await localIds()).sort()).toEqual([...ids].sort());
    expect((await serverIds()).sort()).toEqual([...ids].sort());
  });

  it('keeps the newest N local archives and leaves the server alone unless asked', async () => {
    const r = await applyRetention({ backups: service, environmentId: ENV, policy: { keep: 2 } });
    expect(r.removed.map((i) => i.id)).toEqual([ids[2]]);
    expect(r.failed).toEqual([]);
    expect((await localIds()).sort()).toEqual([ids[0], ids[1]].sort());
    expect((await serverIds()).sort()).toEqual([...ids].sort());
  });

  it('by age removes everything but the newest verified backup, in both places, and never a file it cannot identify', async () => {
    const later = new Date(Date.now() + 10 * 24 * 3600 * 1000);
    const r = await applyRetention({ backups: service, environmentId: ENV, policy: { maxAgeDays: 1 }, includeServer: true, now: later });
    expect(r.kept.map((i) => `${i.location}:${i.id}:${i.reason}`).sort()).toEqual(
      [`local:${ids[0]}:newest verified backup: always kept`, `server:${ids[0]}:newest verified backup: always kept`].sort(),
    );
    expect(await localIds()).toEqual([ids[0]]);
    expect(await serverIds()).toEqual([ids[0]]);
    expect((await fs.readdir(path.join(home, 'backups'))).filter((n) => !n.startsWith('juju-backup-')).sort()).toEqual(['broken.tgz', 'holiday-photos.tar.gz']);
  });
});
