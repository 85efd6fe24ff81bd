import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { serialize } from 'bson';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import type { RestoreRun } from '../../../shared/ipc/channels/restore';
import { SecretRegistry } from '../../../shared/redact';
import { startBackupsHarness, type BackupsHarness } from '../backups/testing/backups-harness';
import type { RestoreService } from './restore-service';
import { finishedRestore, machineSession as sessionOf, sandboxRestoreService } from './testing/restore-harness';

/**
 * Restore faults against the sandbox (Deliver 9), through the restore
 * service as restore.int.test.ts drives it: the replacement's SSH dropping
 * mid-upload, a replacement whose disk is too full for the archive, and a
 * corrupt dump failing mongorestore past the point of no return. Each leaves
 * no client staging, says what happened, and a retry from the start works;
 * where juju-db on the replacement answers after the failure,
 * `juju.restoreInfo` ends FAILED with the reason.
 */

let h: BackupsHarness;
let restore: RestoreService;
let backup: CreateBackupResult;
const runs: RestoreRun[] = [];
const ENV = 'sandbox';
const secrets = new SecretRegistry();
const listeners = new Set<(run: RestoreRun) => void>();

beforeAll(async () => {
  h = await startBackupsHarness({ tmpPrefix: 'quorum-restore-faults-', readiness: { timeoutMs: 3_000, pollMs: 300 }, progressIntervalMs: 10, onPhase: () => undefined });
  restore = sandboxRestoreService(h, secrets, {
    emitProgress: (run) => {
      runs.push(run);
      for (const l of listeners) l(run);
    },
  });
  const { operationId } = await h.service.create(ENV, { notes: 'restore faults', keepLocal: true });
  const done = await h.operations.whenFinished(operationId);
  expect(done.state, done.error?.message).toBe('succeeded');
  backup = done.result as CreateBackupResult;
  for (const m of h.sandbox.describe().machines.filter((x) => x.stateServer)) await h.sandbox.powerOff(m.id);
}, 180_000);

afterAll(async () => {
  await restore?.close();
  await h?.close();
});

const finished = (opId: string) => finishedRestore(h, restore, opId);

const machineSession = (id: string) => sessionOf(h, secrets, id);

/** What the client keeps under QUORUM_HOME/restore (per-run staging): nothing once a run ended. */
const clientStaging = async () => fs.readdir(path.join(h.home, 'restore')).catch(() => [] as string[]);

/** The backup rebuilt with `change` applied to its extracted tree (a bigger or a corrupt dump). */
async function rebuilt(name: string, change: (dir: string) => Promise<void>): Promise<string> {
  const work = path.join(h.home, `work-${name}`);
  await fs.mkdir(work, { recursive: true });
  await tar.x({ file: backup.localPath!, cwd: work });
  await change(path.join(work, 'juju-backup'));
  const file = path.join(h.home, `juju-backup-${name}.tar.gz`);
  await tar.c({ gzip: { level: 1 }, cwd: work, file, portable: true }, ['juju-backup']);
  await fs.rm(work, { recursive: true, force: true });
  return file;
}

async function retryFromTheStart(): Promise<void> {
  await h.sandbox.powerOff('0');
  const ok = await finished((await restore.start(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {})).operationId);
  expect(ok.state, ok.error).toBe('succeeded');
  expect(ok.result!.restoreStatus).toBe('CHECKED');
  expect(await clientStaging()).toEqual([]);
}

describe('restore faults against the sandbox', () => {
  it("SSH drops mid-upload (the replacement powered off while copying): the copy step fails saying so, nothing staged is left, a retry from the start works", async () => {
    // Incompressible documents make the upload last long enough to cut it in the middle.
    const big = await rebuilt('big', async (dir) => {
      const docs = Array.from({ length: 48 }, (_, i) => serialize({ _id: `pad-${i}`, data: randomBytes(512 * 1024) }));
      await fs.writeFile(path.join(dir, 'dump/juju/quorumPadding.bson'), Buffer.concat(docs));
    });
    const size = (await fs.stat(big)).size;
    let cutAt = -1;
    const cut = (run: RestoreRun) => {
      const copy = run.steps.find((s) => s.id === 'copy-backup')!;
      if (cutAt < 0 && copy.state === 'running' && (copy.bytes ?? 0) > 0) {
        cutAt = copy.bytes!;
        void h.sandbox.powerOff('0');
      }
    };
    listeners.add(cut);
    try {
      const failed = await finished((await restore.start(ENV, { localPath: big }, { kind: 'sandbox' }, {})).operationId);
      expect(failed.state).toBe('failed');
      expect(cutAt).toBeGreaterThan(0);
      expect(cutAt).toBeLessThan(size);
      const step = failed.run.steps.find((s) => s.state === 'failed')!;
      expect(step.id).toBe('copy-backup');
      expect(step.error).toMatch(/^The upload to \S+ broke off after \d+ of \d+ bytes: .+\. Nothing on the replacement was wiped; retry from the start\.$/);
      expect(failed.run.pointOfNoReturn.passed).toBe(false);
      expect(failed.run.steps.filter((s) => s.state === 'skipped').map((s) => s.id)).toEqual(['update-bootstrap', 'restored-bootstrap', 'open-state', 'update-all-machines']);
      expect(await clientStaging()).toEqual([]);
    } finally {
      listeners.delete(cut);
    }
    await retryFromTheStart();
  }, 240_000);

  it('disk full: a replacement with too little space fails the pre-upload check in disk-full words, uploads nothing, leaves nothing staged; a retry with room works', async () => {
    await h.sandbox.powerOff('0');
    await h.sandbox.setDiskFree('0', 4096);
    try {
      const failed = await finished((await restore.start(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {})).operationId);
      expect(failed.state).toBe('failed');
      expect(failed.code).toBe('disk-full');
      const step = failed.run.steps.find((s) => s.state === 'failed')!;
      expect(step.id).toBe('restore-bootstrap');
      expect(step.error).toMatch(/^Not enough space on \S+: 4096 bytes free in \/var\/tmp, the archive and its extraction need about \d+\.$/);
      expect(failed.run.steps.find((s) => s.id === 'copy-backup')!.state).toBe('skipped');
      expect(await clientStaging()).toEqual([]);
      // Nor on the replacement: its staging folder went with the failure.
      const zero = await machineSession('0');
      try {
        expect((await zero.session.run({ kind: 'glob', pattern: '/var/tmp/quorum-restore-*' })).toString().trim()).toBe('');
      } finally {
        await zero.close();
      }
    } finally {
      await h.sandbox.setDiskFree('0', null);
    }
    await retryFromTheStart();
  }, 240_000);

  it('a corrupt dump fails mongorestore past the point of no return; juju-db answers afterwards, and juju.restoreInfo says FAILED with the reason', async () => {
    const bad = await rebuilt('corrupt', async (dir) => {
      const bson = path.join(dir, 'dump/juju/machines.bson');
      const bytes = await fs.readFile(bson);
      bytes[4] = 0x7e; // no such BSON type: the frames still count right, mongorestore fails on the document
      await fs.writeFile(bson, bytes);
    });
    await h.sandbox.powerOff('0');
    const failed = await finished((await restore.start(ENV, { localPath: bad }, { kind: 'sandbox' }, {})).operationId);
    expect(failed.state).toBe('failed');
    const step = failed.run.steps.find((s) => s.state === 'failed')!;
    expect(step.id).toBe('update-bootstrap');
    expect(step.error).toMatch(/mongorestore/);
    expect(failed.run.restoreStatus).toBe('FAILED');
    expect(await clientStaging()).toEqual([]);
    const zero = await machineSession('0');
    try {
      const c = await zero.session.mongo();
      const info = await c.findOne({ db: 'juju', collection: 'restoreInfo' }, { _id: 'current' });
      expect(info).toMatchObject({ status: 'FAILED' });
      expect(String(info!.reason)).toMatch(/^updating bootstrap machine: .*mongorestore/);
    } finally {
      await zero.close();
    }
    await retryFromTheStart();
  }, 240_000);
});
