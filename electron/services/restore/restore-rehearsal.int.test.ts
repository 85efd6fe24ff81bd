import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import type { RestoreResult, RestoreRun } from '../../../shared/ipc/channels/restore';
import { SecretRegistry } from '../../../shared/redact';
import { startSandbox } from '../../sandbox/sandbox';
import { startBackupsHarness, type BackupsHarness } from '../backups/testing/backups-harness';
import { targetForSandbox } from '../environments/targets';
import type { RestoreService } from './restore-service';
import { sandboxRestoreService } from './testing/restore-harness';

/**
 * Rehearsal: an archive of one sandbox restored into a throwaway sandbox
 * built for it (its own home, one state server plus the workload machines
 * the dump lists), the same nine steps, the restored topology returned, and
 * the throwaway torn down with its home.
 */

let h: BackupsHarness;
let restore: RestoreService;
let backup: CreateBackupResult;
const secrets = new SecretRegistry();
const homes: string[] = [];
const runs: RestoreRun[] = [];
let stopped = 0;

beforeAll(async () => {
  h = await startBackupsHarness({ tmpPrefix: 'quorum-rehearsal-', readiness: { timeoutMs: 3_000, pollMs: 300 }, progressIntervalMs: 10, onPhase: () => undefined });
  restore = sandboxRestoreService(h, secrets, {
    place: async () => {
      throw new Error('a rehearsal never touches the real environment');
    },
    emitProgress: (run) => runs.push(run),
    startThrowawaySandbox: async (home, shape) => {
      homes.push(home);
      const sandbox = await startSandbox({ home, machines: shape });
      const d = sandbox.describe();
      return {
        environmentId: 'sandbox',
        name: d.environment.name,
        uuid: d.environment.uuid,
        target: targetForSandbox(d),
        sandbox,
        stop: async () => {
          stopped++;
          await sandbox.stop();
        },
      };
    },
  });
  const { operationId } = await h.service.create('sandbox', { notes: 'rehearsal', keepLocal: true });
  const done = await h.operations.whenFinished(operationId);
  expect(done.state, done.error?.message).toBe('succeeded');
  backup = done.result as CreateBackupResult;
}, 180_000);

afterAll(async () => {
  await restore?.close();
  await h?.close();
});

it('rehearses the restore in a throwaway sandbox and tears it down', async () => {
  const { operationId } = restore.rehearse({ localPath: backup.localPath! });
  const done = await h.operations.whenFinished(operationId);
  expect(done.state, done.error?.message).toBe('succeeded');
  const result = done.result as RestoreResult;
  expect(result.mode).toBe('rehearsal');
  expect(result.restoreStatus).toBe('CHECKED');
  expect(result.stateServers.map((m) => [m.machineId, m.hasVote])).toEqual([['0', true]]);
  // The backed-up sandbox had machines 0–2 as state servers and workloads 3, 4: the workloads come back and are updated.
  expect(result.machines.filter((m) => !m.isStateServer).map((m) => m.machineId)).toEqual(['3', '4']);
  expect(result.updates.map((u) => [u.machineId, u.state])).toEqual([
    ['3', 'succeeded'],
    ['4', 'succeeded'],
  ]);
  expect(runs.filter((r) => r.operationId === operationId).at(-1)!.mode).toBe('rehearsal');
  expect(stopped).toBe(1);
  for (const home of homes) await expect(fs.stat(home)).rejects.toThrow();
  expect(await fs.readdir(path.join(h.home, 'restore'))).toEqual([]);
  // The real environment was not touched: its state servers still run.
  expect(h.sandbox.describe().machines.filter((m) => m.stateServer).every((m) => m.powered)).toBe(true);
}, 240_000);
