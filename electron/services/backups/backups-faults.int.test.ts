import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import type { Sandbox } from '../../sandbox/sandbox';
import { TarGzFileWriter } from '../archive/tar-gz-file-writer';
import { ConnectionManager } from '../connection/connection-manager';
import type { ConnectionTarget } from '../environments/target';
import type { OperationManager } from '../operations/operation-manager';
import type { BackupsService } from './backups-service';
import { BACKUPS_DB, METADATA_COLLECTION } from './server-store';
import { startBackupsHarness, type BackupsHarness } from './testing/backups-harness';

/**
 * Faults: the state server powers off mid-backup (clear failure, no final
 * file, no metadata, the next backup works), not enough space (refused up
 * front), and a disk that fills up while writing (`disk-full`, partial
 * removed), on a real tiny tmpfs.
 */

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let target: ConnectionTarget;
let operations: OperationManager;
let service: BackupsService;
let onPhase: ((phase: string) => void) | null = null;
const mounts: string[] = [];

let harness: BackupsHarness | undefined;

beforeAll(async () => {
  harness = await startBackupsHarness({
    tmpPrefix: 'quorum-backup-faults-',
    readiness: { timeoutMs: 20_000, pollMs: 300 },
    progressIntervalMs: 5,
    onPhase: (phase) => {
      onPhase?.(phase);
    },
  });
  ({ home, sandbox, target, manager, operations, service } = harness);
});

afterAll(async () => {
  for (const m of mounts) {
    try {
      execFileSync('umount', [m]);
    } catch {
      // already gone
    }
  }
  await harness?.close();
});

async function metadataCount(): Promise<number> {
  const env = manager.open(target);
  for (const s of target.stateServers) {
    try {
      const session = await env.stateServer(s.address);
      return await session.withMongo(async (c) => Number((await c.command(BACKUPS_DB, { count: METADATA_COLLECTION })).n));
    } catch {
      // try the next one
    }
  }
  throw new Error('no state server reachable');
}

async function tmpfs(name: string, size: string): Promise<string> {
  const dir = path.join(home, name);
  await fs.mkdir(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

describe('backup faults against the sandbox', () => {
  it('machine 0 powered off mid-backup: a clear failure, nothing kept, nothing stored; the next backup works', async () => {
    const before = await metadataCount();
    const folder = path.join(home, 'power');
    let powered = false;
    onPhase = (phase) => {
      if (phase === 'dumping' && !powered) {
        powered = true;
        void sandbox.powerOff('0');
      }
    };
    const { operationId } = await service.create('sandbox', { notes: '', keepLocal: true, folder });
    const done = await operations.whenFinished(operationId);
    onPhase = null;
    expect(powered).toBe(true);
    expect(done.state).toBe('failed');
    expect(['host-unreachable', 'mongo-unavailable', 'remote-command-failed', 'timeout']).toContain(done.error!.code);
    expect(done.error!.message.length).toBeGreaterThan(20);
    expect(await fs.readdir(folder)).toEqual([]);
    expect(await metadataCount()).toBe(before);

    await sandbox.powerOn('0');
    await new Promise((r) => setTimeout(r, 1100));
    const next = await operations.whenFinished((await service.create('sandbox', { notes: 'after power cycle', keepLocal: true, folder })).operationId);
    expect(next.error ?? null).toBeNull();
    const result = next.result as CreateBackupResult;
    expect(await fs.readdir(folder)).toEqual([path.basename(result.localPath!)]);
    expect(await metadataCount()).toBe(before + 1);
  });

  it('refuses up front when the local disk is too small (insufficient-space)', async () => {
    const folder = await tmpfs('small', '256k');
    const done = await operations.whenFinished((await service.create('sandbox', { notes: '', keepLocal: true, folder })).operationId);
    expect(done.error).toMatchObject({ code: 'insufficient-space' });
    expect(await fs.readdir(folder)).toEqual([]);
  });

  it('a disk that fills while writing gives disk-full and removes the partial file', async () => {
    const folder = await tmpfs('full', '128k');
    const writer = await TarGzFileWriter.create({ finalPath: path.join(folder, 'juju-backup-x.tar.gz') });
    const result = (async () => {
      // Streamed like a dumped collection: the header is a placeholder until the entry ends.
      const entry = await writer.openEntry('juju-backup/dump/juju/big.bson');
      await new Promise<void>((resolve, reject) => {
        entry.once('error', reject);
        entry.end(crypto.randomBytes(2 * 1024 * 1024), () => resolve());
      });
      return writer.finish();
    })();
    const error = await result.catch((e: unknown) => e);
    if (!(error as { code?: string }).code) await writer.abort(error);
    const finished = await writer.finish().catch((e: unknown) => e);
    expect(finished).toMatchObject({ code: 'disk-full' });
    expect((finished as Error).message).toMatch(/full/);
    expect(await fs.readdir(folder)).toEqual([]);
  });
});
