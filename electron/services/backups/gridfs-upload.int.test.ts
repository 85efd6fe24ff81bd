import { randomBytes } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { ObjectId, type Document } from 'bson';
import { GridFSBucket } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import type { JujuDbClient, Namespace } from '../mongo/juju-db-client';
import { isObjectId, objectIdHex } from './bson-values';
import { deleteFile, findFileByName, GridFsCorruptFileError, openDownloadStream, type GridFsBucket } from './gridfs';
import { DEFAULT_CHUNK_SIZE, GridFsArchiveUpload, type GridFsArchiveUploadOptions } from './gridfs-upload';
import { BACKUPS_DB, ServerBackupStore } from './server-store';
import { connectLegacyDriver, type LegacyDriver } from './testing/legacy-driver';
import { BACKUP_TEST_PROFILES, driverBehind, startSandboxMongo, type SandboxMongo } from './testing/sandbox-mongo';

/**
 * The GridFS module and archive upload against the sandbox's juju-db
 * through the real connection layer, on MongoDB 2.4 (legacy client:
 * OP_INSERT + getLastError, system.indexes) and 6.0 (driver): files read
 * back byte for byte, driver-shaped documents and indexes, and another
 * GridFS implementation reading ours and we reading its (on 6.0 the official
 * driver's GridFSBucket; on 2.4 the 2.4-era `mongodb@2.2` driver's, through
 * the SSH connection with MONGODB-CR), backpressure, failures, abort,
 * delete.
 */

const CHUNK = DEFAULT_CHUNK_SIZE;

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Writes `data` in pieces of `size` bytes, awaiting each write. */
async function writeAll(upload: GridFsArchiveUpload, data: Buffer, size: number): Promise<void> {
  for (let off = 0; off < data.length; off += size) {
    await upload.write(data.subarray(off, Math.min(off + size, data.length)));
  }
}

/**
 * Ends a GridFS upload stream with `data`; resolves with the file's id (as
 * our `bson`'s ObjectId: mongodb@2.2's comes from bson 1.x) once the files
 * document is in.
 */
async function writeStream(stream: Writable & { id: unknown }, data: Buffer): Promise<ObjectId> {
  await new Promise<void>((resolve, reject) => {
    stream.once('error', reject);
    stream.once('finish', () => resolve());
    stream.end(data);
  });
  return new ObjectId((stream.id as { toHexString(): string }).toHexString());
}

async function count(client: JujuDbClient, ns: Namespace, query: Document = {}): Promise<number> {
  return Number((await client.command(ns.db, { count: ns.collection, query })).n);
}

describe.each(BACKUP_TEST_PROFILES)('GridFS on the sandbox (MongoDB %s)', (profile) => {
  let stack: SandboxMongo;
  let client: JujuDbClient;
  let bucketCount = 0;
  /** Another GridFS implementation on the same server: the driver's (6.0) or mongodb@2.2's (2.4). */
  let other: { read(bucketName: string, filename: string): Readable; write(bucketName: string, filename: string, data: Buffer): Promise<unknown> };
  let legacyDriver: LegacyDriver | null = null;

  beforeAll(async () => {
    stack = await startSandboxMongo('quorum-gridfs-', profile);
    client = stack.client;
    expect(client.server.protocol).toBe(profile === '2.4' ? 'legacy' : 'driver');
    const driver = driverBehind(client);
    if (driver) {
      const bucket = (name: string): GridFSBucket => new GridFSBucket(driver.db(BACKUPS_DB), { bucketName: name });
      other = {
        read: (name, filename) => bucket(name).openDownloadStreamByName(filename),
        write: (name, filename, data) => writeStream(bucket(name).openUploadStream(filename, { chunkSizeBytes: CHUNK }), data),
      };
    } else {
      const legacy = await connectLegacyDriver(stack.session, stack.sandbox.describe().environment.caCertPem);
      legacyDriver = legacy;
      other = {
        read: (name, filename) => legacy.bucket(BACKUPS_DB, name).openDownloadStreamByName(filename),
        write: (name, filename, data) => writeStream(legacy.bucket(BACKUPS_DB, name).openUploadStream(filename, { chunkSizeBytes: CHUNK }), data),
      };
    }
  });

  afterAll(async () => {
    await legacyDriver?.close();
    await stack?.close();
  });

  /** Each test gets its own bucket, so index creation and counts are its own. */
  function freshUpload(options: Partial<Omit<GridFsArchiveUploadOptions, 'bucket'>> = {}): { upload: GridFsArchiveUpload; bucket: GridFsBucket; files: Namespace; chunks: Namespace } {
    bucketCount += 1;
    const bucket: GridFsBucket = { client, db: BACKUPS_DB, bucketName: `test-${bucketCount}-${new ObjectId().toHexString()}` };
    const upload = new GridFsArchiveUpload({ bucket, filename: `backups/t${bucketCount}`, metadata: { backupId: `t${bucketCount}` }, ...options });
    return { upload, bucket, files: { db: BACKUPS_DB, collection: `${bucket.bucketName}.files` }, chunks: { db: BACKUPS_DB, collection: `${bucket.bucketName}.chunks` } };
  }

  it('stores a multi-chunk file read back byte-identical, with driver-shaped documents and indexes', async () => {
    const { upload, bucket, files, chunks } = freshUpload();
    const data = randomBytes(CHUNK * 20 + 12_345);
    await writeAll(upload, data, 100_000);
    expect(upload.length).toBe(data.length);
    await upload.end();

    const file = await findFileByName(bucket, `backups/t${bucketCount}`);
    expect(file).not.toBeNull();
    expect((await readAll(openDownloadStream(bucket, file!))).equals(data)).toBe(true);
    // Another GridFS implementation reads the same file back.
    expect((await readAll(other.read(bucket.bucketName, `backups/t${bucketCount}`))).equals(data)).toBe(true);

    const docs = await client.find(files, {}).toArray();
    expect(docs).toHaveLength(1);
    const doc = docs[0]!;
    expect(Object.keys(doc)).toEqual(['_id', 'length', 'chunkSize', 'uploadDate', 'filename', 'metadata']);
    expect(objectIdHex(doc._id)).toBe(upload.id.toHexString());
    expect(Number(doc.length)).toBe(data.length);
    expect(Number(doc.chunkSize)).toBe(CHUNK);
    expect(doc.filename).toBe(`backups/t${bucketCount}`);
    expect(doc.metadata).toEqual({ backupId: `t${bucketCount}` });
    expect(doc.uploadDate).toBeInstanceOf(Date);

    const stored = await client.find(chunks, {}, { sort: { n: 1 } }).toArray();
    expect(stored.map((c) => c.n)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    for (const c of stored) {
      expect(Object.keys(c)).toEqual(['_id', 'files_id', 'n', 'data']);
      expect(isObjectId(c._id)).toBe(true);
      expect(objectIdHex(c.files_id)).toBe(upload.id.toHexString());
      expect((c.data as { sub_type: number }).sub_type).toBe(0);
    }
    expect((stored[20]!.data as { length(): number }).length()).toBe(12_345);

    // The driver's indexes, as its upload stream creates them (on 2.4: in system.indexes).
    const fileIndexes = await client.listIndexes(files);
    expect(fileIndexes.some((i) => JSON.stringify(i.key) === JSON.stringify({ filename: 1, uploadDate: 1 }))).toBe(true);
    const chunkIndexes = await client.listIndexes(chunks);
    const unique = chunkIndexes.find((i) => JSON.stringify(i.key) === JSON.stringify({ files_id: 1, n: 1 }));
    expect(unique?.unique).toBe(true);
    if (profile === '2.4') {
      const viaSystemIndexes = await client.find({ db: BACKUPS_DB, collection: 'system.indexes' }, { ns: `${BACKUPS_DB}.${chunks.collection}` }).toArray();
      expect(viaSystemIndexes.some((i) => i.name === 'files_id_1_n_1' && i.unique === true)).toBe(true);
    }
  });

  it('reads a file another GridFS implementation stored (same chunk documents as ours), and checks its chunks', async () => {
    const { upload, bucket, chunks } = freshUpload();
    const data = randomBytes(CHUNK * 3 + 7);
    await writeAll(upload, data, 65_536);
    await upload.end();
    const otherName = 'written-elsewhere';
    const otherId = await other.write(bucket.bucketName, otherName, data);
    const ours = await client.find(chunks, { files_id: upload.id }, { sort: { n: 1 } }).toArray();
    const theirs = await client.find(chunks, { files_id: otherId }, { sort: { n: 1 } }).toArray();
    const shape = (c: Document): [string[], number, string] => [Object.keys(c), c.n as number, Buffer.from((c.data as { buffer: Uint8Array }).buffer).toString('hex')];
    expect(ours.map(shape)).toEqual(theirs.map(shape));
    const written = await findFileByName(bucket, otherName);
    expect((await readAll(openDownloadStream(bucket, written!))).equals(data)).toBe(true);

    // A missing chunk fails the read instead of returning a short file.
    await client.remove(chunks, { files_id: otherId, n: 1 });
    await expect(readAll(openDownloadStream(bucket, written!))).rejects.toBeInstanceOf(GridFsCorruptFileError);
    // delete: chunks, then the files document.
    await deleteFile(bucket, otherId);
    expect(await findFileByName(bucket, otherName)).toBeNull();
    expect(await count(client, chunks, { files_id: otherId })).toBe(0);
    expect(await count(client, chunks, { files_id: upload.id })).toBe(4);
  });

  it('abort removes every chunk and the files document, even after end(), and twice', async () => {
    const { upload, files, chunks } = freshUpload();
    const other = freshUpload().upload;
    const data = randomBytes(CHUNK * 10 + 1);
    await writeAll(upload, data, 1 << 20);
    await upload.end();
    expect(await count(client, chunks, { files_id: upload.id })).toBe(11);
    expect(await count(client, files, { _id: upload.id })).toBe(1);
    await Promise.all([upload.abort(), upload.abort()]);
    await upload.abort();
    expect(await count(client, chunks, { files_id: upload.id })).toBe(0);
    expect(await count(client, files, { _id: upload.id })).toBe(0);
    await expect(upload.write(Buffer.alloc(1))).rejects.toThrow(QuorumError);
    await other.abort();
  });

  it('abort during writes waits for the inserts in flight, then removes them', async () => {
    const { upload, chunks } = freshUpload({ batchChunks: 1, maxInFlight: 3 });
    const pending = upload.write(randomBytes(CHUNK * 12));
    expect(upload.inFlight).toBe(3);
    const aborted = upload.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    await aborted;
    expect(upload.inFlight).toBe(0);
    expect(await count(client, chunks, { files_id: upload.id })).toBe(0);
  });

  it('write waits while the in-flight limit is reached (backpressure)', async () => {
    const { upload, bucket } = freshUpload({ batchChunks: 1, maxInFlight: 2 });
    const data = randomBytes(CHUNK * 8);
    const observed: Array<{ i: number; inFlight: number; inserted: number }> = [];
    const writes: Array<Promise<void>> = [];
    let settled = 0;
    for (let i = 0; i < 8; i += 1) {
      const w = upload.write(data.subarray(i * CHUNK, (i + 1) * CHUNK));
      writes.push(w);
      void w.then(() => {
        settled += 1;
        observed.push({ i, inFlight: upload.inFlight, inserted: upload.insertedBatches });
      });
      expect(upload.inFlight).toBe(Math.min(i + 1, 2));
    }
    // Let every already-resolved promise run its callbacks: only the first write had room.
    for (let k = 0; k < 5; k += 1) await Promise.resolve();
    expect(upload.inFlight).toBe(2);
    expect(upload.insertedBatches).toBe(0);
    expect(settled).toBe(1);
    expect(observed[0]).toMatchObject({ i: 0, inserted: 0 });
    await Promise.all(writes);
    // No write resolved until a batch had completed and there was room again.
    for (const o of observed.slice(1)) {
      expect(o.inserted).toBeGreaterThanOrEqual(1);
      expect(o.inFlight).toBeLessThan(2);
    }
    await upload.end();
    expect(upload.insertedBatches).toBe(8);
    const file = await findFileByName(bucket, `backups/t${bucketCount}`);
    expect((await readAll(openDownloadStream(bucket, file!))).equals(data)).toBe(true);
  });

  it('a failed insert makes the next write and end reject with that error', async () => {
    // A chunk already at n = 1 for this file: the unique {files_id, n} index refuses ours
    // (on 2.4 the legacy client reads the duplicate key from getLastError).
    const second = freshUpload({ batchChunks: 1 });
    await client.createIndex(second.chunks, { files_id: 1, n: 1 }, { unique: true });
    await client.insert(second.chunks, [{ _id: new ObjectId(), files_id: second.upload.id, n: 1, data: Buffer.alloc(1) }]);
    await second.upload.write(randomBytes(CHUNK * 2));
    let failure: unknown = null;
    for (let i = 0; i < 50 && failure === null; i += 1) {
      await second.upload.write(randomBytes(CHUNK)).catch((error: unknown) => {
        failure = error;
      });
    }
    expect((failure as { code?: number } | null)?.code).toBe(11000);
    await expect(second.upload.end()).rejects.toMatchObject({ code: 11000 });
    await second.upload.abort();
    expect(await count(client, second.chunks, { files_id: second.upload.id })).toBe(0);
  });

  describe('ServerBackupStore with the GridFS upload', () => {
    const meta = (id: string): BackupMetadata => ({
      id,
      checksum: 'abc',
      checksumFormat: 'SHA-1, base64 encoded',
      size: 0,
      stored: null,
      started: '2026-01-01T00:00:00.000Z',
      finished: '2026-01-01T00:01:00.000Z',
      notes: '',
      environment: 'env-uuid-store',
      machine: '0',
      hostname: 'machine-0',
      version: '1.25.6',
    });

    it('store() uploads a local archive read back whole, and refuses the ID again; remove() leaves nothing', async () => {
      const store = new ServerBackupStore(client, 'env-uuid-store');
      const data = randomBytes(CHUNK * 5 + 77);
      const parts = Array.from({ length: 9 }, (_, i) => data.subarray(Math.floor((i * data.length) / 9), Math.floor(((i + 1) * data.length) / 9)));
      const stored = await store.store({ ...meta('20260101-000000.s1'), size: data.length }, Readable.from(parts));
      expect(stored.id).toBe('20260101-000000.s1');
      expect(stored.size).toBe(data.length);
      expect((await store.list()).map((m) => m.id)).toContain(stored.id);
      expect((await readAll(await store.open(stored.id))).equals(data)).toBe(true);
      expect((await readAll(other.read('env-uuid-store', `backups/${stored.id}`))).equals(data)).toBe(true);
      await expect(store.store(meta('20260101-000000.s1'), Readable.from([data]))).rejects.toMatchObject({ code: 'conflict' });

      await store.remove(stored.id);
      expect(await store.get(stored.id)).toBeNull();
      expect(await count(client, { db: BACKUPS_DB, collection: 'env-uuid-store.files' })).toBe(0);
      expect(await count(client, { db: BACKUPS_DB, collection: 'env-uuid-store.chunks' })).toBe(0);
      await expect(store.open(stored.id)).rejects.toMatchObject({ code: 'not-found' });
      await expect(store.remove(stored.id)).rejects.toMatchObject({ code: 'not-found' });
    });

    it('store() cancelled leaves no chunks, no files document and no metadata', async () => {
      const store = new ServerBackupStore(client, 'env-uuid-cancel');
      const controller = new AbortController();
      const id = '20260101-000000.s2';
      async function* source(): AsyncGenerator<Buffer> {
        for (let i = 0; i < 6; i += 1) {
          if (i === 3) controller.abort();
          yield randomBytes(CHUNK);
        }
      }
      await expect(store.store(meta(id), Readable.from(source()), controller.signal)).rejects.toThrow();
      expect(await store.get(id)).toBeNull();
      expect(await count(client, { db: BACKUPS_DB, collection: 'env-uuid-cancel.files' }, { filename: `backups/${id}` })).toBe(0);
      expect(await count(client, { db: BACKUPS_DB, collection: 'env-uuid-cancel.chunks' })).toBe(0);
    });

    it('beginUpload: commit completes the file and stores the metadata as Juju writes it', async () => {
      const store = new ServerBackupStore(client, 'env-uuid-begin');
      const id = '20260101-000000.s3';
      const upload = await store.beginUpload(id);
      const data = randomBytes(CHUNK * 3);
      await upload.archive.write(data);
      const stored = await upload.commit({ ...meta(id), environment: 'env-uuid-begin', size: data.length });
      expect(stored.id).toBe(id);
      expect((await readAll(await store.open(id))).equals(data)).toBe(true);
      const file = await client.findOne({ db: BACKUPS_DB, collection: 'env-uuid-begin.files' }, { filename: `backups/${id}` });
      expect(file?.metadata).toEqual({ backupId: id });
      const doc = await client.findOne({ db: BACKUPS_DB, collection: 'metadata' }, { _id: id });
      expect(Object.keys(doc!)).toEqual(['_id', 'checksum', 'checksumformat', 'size', 'stored', 'started', 'finished', 'environment', 'machine', 'hostname', 'version']);
      expect((doc!.size as { _bsontype?: string })._bsontype).toBe('Long');
    });
  });
});
