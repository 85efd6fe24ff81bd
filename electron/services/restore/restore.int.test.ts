import fs from 'node:fs/promises';
import * as tar from 'tar';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import type { RestoreInspectResult, RestoreRun } from '../../../shared/ipc/channels/restore';
import { SecretRegistry } from '../../../shared/redact';
import { startBackupsHarness, type BackupsHarness } from '../backups/testing/backups-harness';
import { BACKUPS_DB, METADATA_COLLECTION } from '../backups/server-store';
import type { RestoreService } from './restore-service';
import { finishedRestore, machineSession as sessionOf, sandboxRestoreService } from './testing/restore-harness';

/**
 * Restore end to end against the sandbox: back it up with the backups
 * service, write a marker document, power off every state server, restore
 * from the archive through the restore service into a replacement machine 0,
 * then read the result back over SSH and juju-db.
 */

let h: BackupsHarness;
let restore: RestoreService;
let backup: CreateBackupResult;
/** A backup kept only on the state server (GridFS), no local file. */
let serverOnly: CreateBackupResult;
let serverCopy = '';
const phases: string[] = [];
const runs: RestoreRun[] = [];
const ENV = 'sandbox';
const secrets = new SecretRegistry();

beforeAll(async () => {
  h = await startBackupsHarness({ tmpPrefix: 'quorum-restore-', readiness: { timeoutMs: 3_000, pollMs: 300 }, progressIntervalMs: 10, onPhase: (p) => phases.push(p) });
  restore = sandboxRestoreService(h, secrets, { emitProgress: (run) => runs.push(run) });
  const client = await (await h.manager.open(h.target).stateServer(h.target.stateServers[0]!.address)).mongo();
  await client.insert({ db: 'juju', collection: 'quorumMarker' }, [{ _id: 'before-backup', note: 'written before the backup' }]);
  const { operationId } = await h.service.create(ENV, { notes: 'restore test', keepLocal: true });
  const done = await h.operations.whenFinished(operationId);
  expect(done.state, done.error?.message).toBe('succeeded');
  backup = done.result as CreateBackupResult;
  await new Promise((r) => setTimeout(r, 1_100)); // backup IDs are per second
  const second = await h.operations.whenFinished((await h.service.create(ENV, { notes: 'server only', keepLocal: false })).operationId);
  expect(second.state, second.error?.message).toBe('succeeded');
  serverOnly = second.result as CreateBackupResult;
  expect(serverOnly.localPath).toBeNull();
  await client.insert({ db: 'juju', collection: 'quorumMarker' }, [{ _id: 'after-backup' }]);
}, 180_000);

afterAll(async () => {
  await restore?.close();
  await h?.close();
});

const run = (opId: string) => finishedRestore(h, restore, opId);

const machineSession = (id: string) => sessionOf(h, secrets, id);

const stagingFiles = async () => (await fs.readdir(path.join(h.home, 'staging')).catch(() => [] as string[])).sort();

describe('restore against the sandbox', () => {
  it('a server-only backup is fetched from GridFS into staging (0600, SHA-1 checked against the server) and inspected like a local file', async () => {
    phases.length = 0;
    const before = await stagingFiles();
    const { operationId } = restore.inspect({ environmentId: ENV, backupId: serverOnly.metadata.id });
    const done = await h.operations.whenFinished(operationId);
    expect(done.state, done.error?.message).toBe('succeeded');
    const r = done.result as RestoreInspectResult;
    expect(path.dirname(r.localPath)).toBe(path.join(h.home, 'staging'));
    expect(path.basename(r.localPath)).toMatch(new RegExp(`-juju-backup-${serverOnly.metadata.id.replace(/\./g, '\\.')}\\.tar\\.gz$`));
    expect((await fs.stat(r.localPath)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(r.localPath)).size).toBe(serverOnly.metadata.size);
    expect(r.checksum).toEqual({ state: 'verified', expected: serverOnly.metadata.checksum, source: 'server' });
    expect(r.inspection.checksum).toBe(serverOnly.metadata.checksum);
    expect(r.verdict.allowed).toBe(true);
    expect(phases).toContain('downloading');
    expect(await stagingFiles()).toEqual([...before, path.basename(r.localPath)].sort());
    // The checklist reads the staged copy as the server's (no second download), and the server ref itself leaves nothing behind.
    const checks = await restore.precheck(ENV, { localPath: r.localPath }, { kind: 'sandbox' }, {});
    expect(checks.items.find((i) => i.id === 'origin-down')!.state).toBe('fail');
    const direct = await restore.precheck(ENV, { environmentId: ENV, backupId: serverOnly.metadata.id }, { kind: 'sandbox' }, {});
    expect(direct.items.find((i) => i.id === 'origin-down')!.state).toBe('fail');
    expect(await stagingFiles()).toEqual([...before, path.basename(r.localPath)].sort());
    serverCopy = r.localPath;
  }, 60_000);

  it('refuses while the origin machine is up, in Juju words', async () => {
    const checks = await restore.precheck(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {});
    const origin = checks.items.find((i) => i.id === 'origin-down')!;
    expect(origin.state).toBe('fail');
    expect(origin.why).toMatch(/^old bootstrap instance ".+" still seems to exist; will not replace/);
    expect(checks.items.find((i) => i.id === 'votes')!.needs).toBe('typed-environment-name');
    expect(checks.canStart).toBe(false);
    await expect(restore.start(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {})).rejects.toThrow(/will not replace/);
  }, 60_000);

  it('fails at the point of no return when the replacement is powered off mid-restore, and a retry from the start works', async () => {
    for (const m of h.sandbox.describe().machines.filter((x) => x.stateServer)) await h.sandbox.powerOff(m.id);
    const checks = await restore.precheck(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {});
    expect(checks.items.filter((i) => i.state === 'fail'), JSON.stringify(checks.items)).toEqual([]);
    expect(checks.canStart).toBe(true);

    let powered = false;
    // The server-only backup's staged copy, fetched while the state servers answered, restores exactly as a local file.
    const { operationId } = await restore.start(ENV, { localPath: serverCopy }, { kind: 'sandbox' }, {});
    const watch = setInterval(() => {
      const last = runs.filter((r) => r.operationId === operationId).at(-1);
      if (!powered && last?.pointOfNoReturn.passed) {
        powered = true;
        void h.sandbox.powerOff('0');
      }
    }, 5);
    const failed = await run(operationId);
    clearInterval(watch);
    expect(powered).toBe(true);
    expect(failed.state).toBe('failed');
    const failedStep = failed.run.steps.find((s) => s.state === 'failed')!;
    expect(failedStep.id).toBe('update-bootstrap');
    expect(failedStep.error).toBeTruthy();
    expect(await fs.readdir(path.join(h.home, 'restore')).catch(() => [])).toEqual([]);
    // Kept after the failure: the origin is down, so the retry cannot fetch it again.
    expect((await fs.stat(serverCopy)).isFile()).toBe(true);

    // Retry from the start: the replacement this service made is replaced again.
    const again = await restore.start(ENV, { localPath: serverCopy }, { kind: 'sandbox' }, {});
    const ok = await run(again.operationId);
    expect(ok.state, ok.error).toBe('succeeded');
    // Restored: the staged server copy is gone.
    expect(await stagingFiles()).not.toContain(path.basename(serverCopy));
    expect(ok.run.steps.map((s) => [s.title, s.state])).toEqual([
      ['extracted credentials from backup file', 'succeeded'],
      ['re-bootstrapping environment', 'succeeded'],
      ['connecting to newly bootstrapped instance', 'succeeded'],
      ['restoring bootstrap machine', 'succeeded'],
      ['copying backup file to bootstrap host', 'succeeded'],
      ['updating bootstrap machine', 'succeeded'],
      ['restored bootstrap machine', 'succeeded'],
      ['opening state', 'succeeded'],
      ['updating all machines', 'succeeded'],
    ]);
    const copy = ok.run.steps.find((s) => s.id === 'copy-backup')!;
    expect(copy.bytes).toBe(serverOnly.metadata.size);
    const result = ok.result!;
    expect(result.restoreStatus).toBe('CHECKED');
    expect(result.stateServers.map((m) => [m.machineId, m.hasVote])).toEqual([['0', true]]);
    expect(result.updates.length).toBeGreaterThan(0);
    expect(result.updates.every((u) => u.state === 'succeeded' && u.message === `Succesful update of machine "${u.machineId}"`)).toBe(true);

    // juju-db: the marker written before the backup, not the one after; restoreInfo CHECKED; one member.
    const zero = await machineSession('0');
    try {
      const c = await zero.session.mongo();
      expect(await c.findOne({ db: 'juju', collection: 'quorumMarker' }, { _id: 'before-backup' })).toMatchObject({ note: 'written before the backup' });
      expect(await c.findOne({ db: 'juju', collection: 'quorumMarker' }, { _id: 'after-backup' })).toBeNull();
      // The server-only backup was taken after the first one and before this marker.
      expect(await c.findOne({ db: 'juju', collection: 'restoreInfo' }, { _id: 'current' })).toMatchObject({ status: 'CHECKED' });
      const status = await c.command('admin', { replSetGetStatus: 1 });
      expect((status.members as Array<{ name: string }>).map((m) => m.name)).toEqual([`${result.targetAddress}:37017`]);
      expect(await c.findOne({ db: 'juju', collection: 'stateServers' }, { _id: 'e' })).toMatchObject({ machineids: ['0'], votingmachineids: ['0'] });
      // Juju's dump leaves out the backups database (reference §1.5): its metadata is not part of a restore.
      const dbs = (await c.listDatabases()).map((d) => d.name);
      expect(dbs).not.toContain(BACKUPS_DB);
      void METADATA_COLLECTION;
    } finally {
      await zero.close();
    }

    // Every updated machine's agents point at the restored state server, the originals kept as .old.
    for (const row of result.updates) {
      const s = await machineSession(row.machineId);
      try {
        const conf = (await s.session.run({ kind: 'read-file', path: `/var/lib/juju/agents/machine-${row.machineId}/agent.conf` })).toString();
        expect(conf).toMatch(new RegExp(`apiaddresses:\\n- ${result.targetAddress.replace(/\./g, '\\.')}:17070\\n`));
        expect(row.agents).toContain(`machine-${row.machineId}`);
        const old = await s.session.run({ kind: 'read-file', path: `/var/lib/juju/agents/machine-${row.machineId}/agent.conf.old` });
        expect(old.length).toBeGreaterThan(0);
        for (const unit of row.agents.filter((a) => a.startsWith('unit-'))) {
          const files = (await s.session.run({ kind: 'glob', pattern: `/var/lib/juju/agents/${unit}/state/relations/*/*` })).toString().split('\n').filter(Boolean);
          for (const f of files) expect((await s.session.run({ kind: 'read-file', path: f })).toString()).toMatch(/^change-version: 0$/m);
        }
      } finally {
        await s.close();
      }
    }
  }, 240_000);

  it('a corrupt dump fails mongorestore with its message, leaves nothing staged, and the good archive then restores', async () => {
    const work = path.join(h.home, 'corrupt');
    await fs.mkdir(work, { recursive: true });
    await tar.x({ file: backup.localPath!, cwd: work });
    const bson = path.join(work, 'juju-backup/dump/juju/machines.bson');
    const bytes = await fs.readFile(bson);
    bytes[4] = 0x7e; // first element of the first document: no such BSON type (frames still count right)
    await fs.writeFile(bson, bytes);
    const bad = path.join(h.home, 'juju-backup-corrupt.tar.gz');
    await tar.c({ gzip: true, cwd: work, file: bad, portable: true }, ['juju-backup']);
    await h.sandbox.powerOff('0');
    const { operationId } = await restore.start(ENV, { localPath: bad }, { kind: 'sandbox' }, {});
    const failed = await run(operationId);
    expect(failed.state).toBe('failed');
    const step = failed.run.steps.find((s) => s.state === 'failed')!;
    expect(step.id).toBe('update-bootstrap');
    expect(step.error).toMatch(/mongorestore/);
    expect(failed.run.steps.filter((s) => s.state === 'skipped').map((s) => s.id)).toEqual(['restored-bootstrap', 'open-state', 'update-all-machines']);
    expect(await fs.readdir(path.join(h.home, 'restore')).catch(() => [])).toEqual([]);
    await h.sandbox.powerOff('0');
    const ok = await run((await restore.start(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {})).operationId);
    expect(ok.state, ok.error).toBe('succeeded');
    expect(ok.result!.restoreStatus).toBe('CHECKED');
  }, 240_000);

  it('updating all machines with one workload machine down: its row fails, Retry fixes it once it is on', async () => {
    const workload = h.sandbox.describe().machines.find((m) => !m.stateServer)!;
    await h.sandbox.powerOff(workload.id);
    await h.sandbox.powerOff('0');
    const { operationId } = await restore.start(ENV, { localPath: backup.localPath! }, { kind: 'sandbox' }, {});
    const done = await run(operationId);
    expect(done.state, done.error).toBe('succeeded');
    const row = done.result!.updates.find((u) => u.machineId === workload.id)!;
    expect(row.state).toBe('failed');
    expect(row.message).toMatch(new RegExp(`^Update of machine "${workload.id}" failed: `));
    expect(done.result!.updates.filter((u) => u.machineId !== workload.id).every((u) => u.state === 'succeeded')).toBe(true);
    await h.sandbox.powerOn(workload.id);
    const retried = await restore.retryMachine(operationId, workload.id);
    expect(retried.state, retried.reason ?? '').toBe('succeeded');
    expect(retried.attempts).toBe(2);
    expect(restore.result(operationId).run.machines.find((m) => m.machineId === workload.id)!.state).toBe('succeeded');
  }, 240_000);
});
