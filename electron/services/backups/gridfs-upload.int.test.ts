import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GridFSBucket, ObjectId, type Db, type Document, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackupMetadata } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import { DEFAULT_CHUNK_SIZE, GridFsArchiveUpload, type GridFsArchiveUploadOptions } from './gridfs-upload';
import { BACKUPS_DB, ServerBackupStore } from './server-store';
import { startSandboxMongo, type SandboxMongo } from './testing/sandbox-mongo';

/**
 * The GridFS archive upload against the sandbox's juju-db through the real
 * connection layer: files the driver's GridFSBucket reads back byte for byte,
 * backpressure, failures, abort.
 */

const CHUNK = DEFAULT_CHUNK_SIZE;

let stack: SandboxMongo;
let client: MongoClient;
let db: Db;
let bucketCount = 0;

beforeAll(async () => {
  stack = await startSandboxMongo('quorum-gridfs-');
  client = stack.client;
  db = client.db(BACKUPS_DB);
});

afterAll(async () => {
  await stack?.close();
});

/** Each test gets its own bucket, so index creation and counts are its own. */
function freshUpload(options: Partial<GridFsArchiveUploadOptions> = {}): { upload: GridFsArchiveUpload; bucket: GridFSBucket; bucketName: string } {
  bucketCount += 1;
  const bucketName = `test-${bucketCount}-${new ObjectId().toHexString()}`;
  const upload = new GridFsArchiveUpload({ db, bucketName, filename: `backups/t${bucketCount}`, metadata: { backupId: `t${bucketCount}` }, ...options });
  return { upload, bucket: new GridFSBucket(db, { bucketName }), bucketName };
}

async function readBack(bucket: GridFSBucket, id: ObjectId): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of bucket.openDownloadStream(id)) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Writes `data` in pieces of `size` bytes, awaiting each write. */
async function writeAll(upload: GridFsArchiveUpload, data: Buffer, size: number): Promise<void> {
  for (let off = 0; off < data.length; off += size) {
    await upload.write(data.subarray(off, Math.min(off + size, data.length)));
  }
}

describe('GridFsArchiveUpload against the sandbox', () => {
  it('stores a multi-chunk file the driver reads back byte-identical, with driver-shaped documents and indexes', async () => {
    const { upload, bucket, bucketName } = freshUpload();
    const data = randomBytes(CHUNK * 20 + 12_345);
    await writeAll(upload, data, 100_000);
    expect(upload.length).toBe(data.length);
    await upload.end();

    expect((await readBack(bucket, upload.id)).equals(data)).toBe(true);
    const files = await db.collection(`${bucketName}.files`).find({}).toArray();
    expect(files).toHaveLength(1);
    const file = files[0]!;
    expect(Object.keys(file).sort()).toEqual(['_id', 'chunkSize', 'filename', 'length', 'metadata', 'uploadDate']);
    expect(file._id.equals(upload.id)).toBe(true);
    expect(Number(file.length)).toBe(data.length);
    expect(Number(file.chunkSize)).toBe(CHUNK);
    expect(file.filename).toBe(`backups/t${bucketCount}`);
    expect(file.metadata).toEqual({ backupId: `t${bucketCount}` });
    expect(file.uploadDate).toBeInstanceOf(Date);

    const chunks = await db.collection(`${bucketName}.chunks`).find({}).sort({ n: 1 }).toArray();
    expect(chunks.map((c) => c.n)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    for (const c of chunks) {
      expect(Object.keys(c).sort()).toEqual(['_id', 'data', 'files_id', 'n']);
      expect(c._id).toBeInstanceOf(ObjectId);
      expect((c.files_id as ObjectId).equals(upload.id)).toBe(true);
    }
    expect(chunks[20]!.data.buffer.length).toBe(12_345);

    // The driver's indexes, as its upload stream creates them.
    const fileIndexes = (await db.collection(`${bucketName}.files`).listIndexes().toArray()) as Document[];
    expect(fileIndexes.some((i) => JSON.stringify(i.key) === JSON.stringify({ filename: 1, uploadDate: 1 }))).toBe(true);
    const chunkIndexes = (await db.collection(`${bucketName}.chunks`).listIndexes().toArray()) as Document[];
    const unique = chunkIndexes.find((i) => JSON.stringify(i.key) === JSON.stringify({ files_id: 1, n: 1 }));
    expect(unique?.unique).toBe(true);
  });

  it('stores a file the driver wrote and ours identically (same chunk boundaries)', async () => {
    const { upload, bucket, bucketName } = freshUpload();
    const data = randomBytes(CHUNK * 3 + 7);
    await writeAll(upload, data, 65_536);
    await upload.end();
    const theirs = bucket.openUploadStream('driver', { chunkSizeBytes: CHUNK });
    await new Promise<void>((resolve, reject) => theirs.end(data, (error?: Error | null) => (error ? reject(error) : resolve())));
    const chunks = db.collection(`${bucketName}.chunks`);
    const ours = await chunks.find({ files_id: upload.id }).sort({ n: 1 }).toArray();
    const driver = await chunks.find({ files_id: theirs.id }).sort({ n: 1 }).toArray();
    expect(ours.map((c) => [c.n, Buffer.from(c.data.buffer).toString('hex')])).toEqual(driver.map((c) => [c.n, Buffer.from(c.data.buffer).toString('hex')]));
  });

  it('abort removes every chunk and the files document, even after end(), and twice', async () => {
    const { upload, bucketName } = freshUpload();
    const other = freshUpload().upload;
    const data = randomBytes(CHUNK * 10 + 1);
    await writeAll(upload, data, 1 << 20);
    await upload.end();
    const chunks = db.collection(`${bucketName}.chunks`);
    const files = db.collection(`${bucketName}.files`);
    expect(await chunks.countDocuments({ files_id: upload.id })).toBe(11);
    expect(await files.countDocuments({ _id: upload.id })).toBe(1);
    await Promise.all([upload.abort(), upload.abort()]);
    await upload.abort();
    expect(await chunks.countDocuments({ files_id: upload.id })).toBe(0);
    expect(await files.countDocuments({ _id: upload.id })).toBe(0);
    await expect(upload.write(Buffer.alloc(1))).rejects.toThrow(QuorumError);
    await other.abort();
  });

  it('abort during writes waits for the inserts in flight, then removes them', async () => {
    const { upload, bucketName } = freshUpload({ batchChunks: 1, maxInFlight: 3 });
    const pending = upload.write(randomBytes(CHUNK * 12));
    expect(upload.inFlight).toBe(3);
    const aborted = upload.abort();
    await expect(pending).rejects.toMatchObject({ code: 'cancelled' });
    await aborted;
    expect(upload.inFlight).toBe(0);
    expect(await db.collection(`${bucketName}.chunks`).countDocuments({ files_id: upload.id })).toBe(0);
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
    expect((await readBack(bucket, upload.id)).equals(data)).toBe(true);
  });

  it('a failed insert makes the next write and end reject with that error', async () => {
    // A chunk already at n = 1 for this file: the unique {files_id, n} index refuses ours.
    const second = freshUpload({ batchChunks: 1 });
    const chunks = db.collection(`${second.bucketName}.chunks`);
    await chunks.createIndex({ files_id: 1, n: 1 }, { unique: true });
    await chunks.insertOne({ _id: new ObjectId(), files_id: second.upload.id, n: 1, data: Buffer.alloc(1) });
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
    expect(await chunks.countDocuments({ files_id: second.upload.id })).toBe(0);
  });
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

  it('store() uploads a local archive the driver reads back, and refuses the ID again', async () => {
    const store = new ServerBackupStore(client, 'env-uuid-store');
    const data = randomBytes(CHUNK * 5 + 77);
    const parts = Array.from({ length: 9 }, (_, i) => data.subarray(Math.floor((i * data.length) / 9), Math.floor(((i + 1) * data.length) / 9)));
    const stored = await store.store({ ...meta('20260101-000000.s1'), size: data.length }, Readable.from(parts));
    expect(stored.id).toBe('20260101-000000.s1');
    const back: Buffer[] = [];
    for await (const part of await store.open(stored.id)) back.push(part as Buffer);
    expect(Buffer.concat(back).equals(data)).toBe(true);
    await expect(store.store(meta('20260101-000000.s1'), Readable.from([data]))).rejects.toMatchObject({ code: 'conflict' });
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
    expect(await db.collection('env-uuid-cancel.files').countDocuments({ filename: `backups/${id}` })).toBe(0);
    expect(await db.collection('env-uuid-cancel.chunks').countDocuments({})).toBe(0);
  });

  it('beginUpload: commit completes the file and stores the metadata', async () => {
    const store = new ServerBackupStore(client, 'env-uuid-begin');
    const id = '20260101-000000.s3';
    const upload = await store.beginUpload(id);
    const data = randomBytes(CHUNK * 3);
    await upload.archive.write(data);
    const stored = await upload.commit({ ...meta(id), environment: 'env-uuid-begin', size: data.length });
    expect(stored.id).toBe(id);
    const back: Buffer[] = [];
    for await (const part of await store.open(id)) back.push(part as Buffer);
    expect(Buffer.concat(back).equals(data)).toBe(true);
    const file = await db.collection('env-uuid-begin.files').findOne({ filename: `backups/${id}` });
    expect(file?.metadata).toEqual({ backupId: id });
  });
});
