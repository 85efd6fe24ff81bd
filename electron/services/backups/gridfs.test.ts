import { Binary, Long as EsmLong, ObjectId, type Document } from 'bson';
import { Binary as DriverBinary, Long as DriverLong, ObjectId as DriverObjectId } from 'mongodb';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { JujuDbClient, JujuDbCursor, Namespace } from '../mongo/juju-db-client';
import { bsonBytes, bsonNumber, objectIdHex } from './bson-values';
import { deleteFile, ensureGridFsIndexes, GridFsCorruptFileError, openDownloadStream, type GridFsBucket, type GridFsFile } from './gridfs';
import { parseMetadataDocument } from './server-store';

/** Just enough of a JujuDbClient for GridFS: collections in memory, every call recorded. */
function fakeClient(collections: Record<string, Document[]>, indexes: Record<string, Document[]> = {}): { client: JujuDbClient; calls: string[] } {
  const calls: string[] = [];
  const key = (ns: Namespace): string => `${ns.db}.${ns.collection}`;
  const cursor = (docs: Document[]): JujuDbCursor<Document> => {
    let i = 0;
    return {
      next: async () => docs[i++] ?? null,
      toArray: async () => docs.slice(i),
      close: async () => {
        calls.push('close');
      },
      async *[Symbol.asyncIterator]() {
        yield* docs;
      },
    };
  };
  const client = {
    server: { version: '2.4.9', maxWireVersion: 0, protocol: 'legacy', authMechanism: 'MONGODB-CR' },
    find(ns: Namespace, filter: Document = {}, options: { sort?: Document } = {}) {
      calls.push(`find ${key(ns)} ${JSON.stringify(options.sort ?? {})}`);
      const docs = (collections[key(ns)] ?? []).filter((d) => Object.entries(filter).every(([k, v]) => String(d[k]) === String(v)));
      return cursor(options.sort?.n === 1 ? [...docs].sort((a, b) => (a.n as number) - (b.n as number)) : docs);
    },
    async findOne(ns: Namespace) {
      calls.push(`findOne ${key(ns)}`);
      return collections[key(ns)]?.[0] ?? null;
    },
    async remove(ns: Namespace, filter: Document) {
      calls.push(`remove ${key(ns)} ${JSON.stringify(Object.keys(filter))}`);
      return 1;
    },
    async listIndexes(ns: Namespace) {
      return indexes[key(ns)] ?? [];
    },
    async createIndex(ns: Namespace, k: Document, spec?: Document) {
      calls.push(`createIndex ${key(ns)} ${JSON.stringify(k)} ${JSON.stringify(spec ?? {})}`);
    },
  } as unknown as JujuDbClient;
  return { client, calls };
}

const id = new ObjectId();

function file(length: number, chunkSize = 4): GridFsFile {
  return { _id: id, length, chunkSize, filename: 'backups/x', uploadDate: new Date() };
}

function chunk(n: number, data: string): Document {
  return { _id: new ObjectId(), files_id: id, n, data: new Binary(Buffer.from(data)) };
}

async function read(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of stream) parts.push(p as Buffer);
  return Buffer.concat(parts).toString();
}

describe('GridFS download over JujuDbClient', () => {
  it('streams the chunks in n order through a cursor and closes it', async () => {
    const { client, calls } = fakeClient({ 'backups.b.chunks': [chunk(2, 'ij'), chunk(0, 'abcd'), chunk(1, 'efgh')] });
    const bucket: GridFsBucket = { client, db: 'backups', bucketName: 'b' };
    expect(await read(openDownloadStream(bucket, file(10)))).toBe('abcdefghij');
    expect(calls).toEqual(['find backups.b.chunks {"n":1}', 'close']);
  });

  it('fails on a missing, short or extra chunk rather than return a wrong file', async () => {
    const run = async (chunks: Document[], length: number): Promise<unknown> => {
      const { client } = fakeClient({ 'backups.b.chunks': chunks });
      return read(openDownloadStream({ client, db: 'backups', bucketName: 'b' }, file(length))).catch((e: unknown) => e);
    };
    expect(await run([chunk(0, 'abcd'), chunk(2, 'ij')], 10)).toBeInstanceOf(GridFsCorruptFileError);
    expect(await run([chunk(0, 'abcd'), chunk(1, 'efgh')], 10)).toBeInstanceOf(GridFsCorruptFileError);
    expect(await run([chunk(0, 'abcd'), chunk(1, 'ef'), chunk(2, 'ij')], 10)).toBeInstanceOf(GridFsCorruptFileError);
    expect(await run([chunk(0, 'abcd'), chunk(1, 'efgh'), chunk(2, 'ij'), chunk(3, 'kl')], 10)).toBeInstanceOf(GridFsCorruptFileError);
    expect(await run([], 0)).toBe('');
  });

  it('deletes the chunks before the files document', async () => {
    const { client, calls } = fakeClient({});
    await deleteFile({ client, db: 'backups', bucketName: 'b' }, id);
    expect(calls).toEqual(['remove backups.b.chunks ["files_id"]', 'remove backups.b.files ["_id"]']);
  });

  it("creates the driver's indexes only in an empty bucket, and only those missing", async () => {
    const empty = fakeClient({});
    await ensureGridFsIndexes({ client: empty.client, db: 'backups', bucketName: 'b' });
    expect(empty.calls.filter((c) => c.startsWith('createIndex'))).toEqual([
      'createIndex backups.b.files {"filename":1,"uploadDate":1} {}',
      'createIndex backups.b.chunks {"files_id":1,"n":1} {"unique":true}',
    ]);
    const indexed = fakeClient({}, { 'backups.b.chunks': [{ key: { files_id: 1, n: 1 }, unique: true }] });
    await ensureGridFsIndexes({ client: indexed.client, db: 'backups', bucketName: 'b' });
    expect(indexed.calls.filter((c) => c.startsWith('createIndex'))).toEqual(['createIndex backups.b.files {"filename":1,"uploadDate":1} {}']);
    const used = fakeClient({ 'backups.b.files': [{ _id: id }] });
    await ensureGridFsIndexes({ client: used.client, db: 'backups', bucketName: 'b' });
    expect(used.calls.filter((c) => c.startsWith('createIndex'))).toEqual([]);
  });
});

describe('BSON values from either bson build', () => {
  it('reads the driver\'s (CommonJS bson) Long, Binary and ObjectId, which instanceof does not recognise', () => {
    const long = DriverLong.fromNumber(1442243174);
    expect(long instanceof EsmLong).toBe(false);
    expect(bsonNumber(long)).toBe(1442243174);
    expect(bsonNumber(EsmLong.fromNumber(7))).toBe(7);
    expect(bsonBytes(new DriverBinary(Buffer.from('abc')))?.toString()).toBe('abc');
    const oid = new DriverObjectId();
    expect(objectIdHex(oid)).toBe(oid.toHexString());
    // backups.metadata read through the driver keeps its int64 sizes and times.
    const meta = parseMetadataDocument({ _id: 'x', size: DriverLong.fromNumber(1234), started: DriverLong.fromNumber(1442243174), stored: DriverLong.fromNumber(0) });
    expect(meta).toMatchObject({ size: 1234, started: '2015-09-14T15:06:14.000Z', stored: null });
  });
});
