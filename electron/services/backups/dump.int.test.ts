import { PassThrough, type Writable } from 'node:stream';
import { deserialize, type Document } from 'bson';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpToArchive, type DumpSink } from './dump';
import { startSandboxMongo, type SandboxMongo } from './testing/sandbox-mongo';

/**
 * The dump against the sandbox's juju-db through the real connection layer:
 * every database but backups/local, raw BSON readable by the `bson` package
 * with the server's counts, mongodump-style metadata, and an oplog that
 * captures writes made while the dump runs.
 */

let stack: SandboxMongo;
let client: MongoClient;

beforeAll(async () => {
  stack = await startSandboxMongo('quorum-dump-');
  client = stack.client;
});

afterAll(async () => {
  await stack?.close();
});

/** A sink that keeps every entry in memory. */
function memorySink(): DumpSink & { entries: Map<string, Buffer> } {
  const entries = new Map<string, Buffer>();
  return {
    entries,
    async addBuffer(name, data) {
      entries.set(name, Buffer.from(data));
    },
    async openEntry(name): Promise<Writable> {
      const parts: Buffer[] = [];
      const s = new PassThrough();
      s.on('data', (c: Buffer) => parts.push(c));
      s.on('end', () => entries.set(name, Buffer.concat(parts)));
      return s;
    },
  };
}

/** Splits a .bson file (concatenated documents) into documents. */
function readBsonFile(buf: Buffer): Document[] {
  const docs: Document[] = [];
  let off = 0;
  while (off < buf.length) {
    const len = buf.readInt32LE(off);
    docs.push(deserialize(buf.subarray(off, off + len)));
    off += len;
  }
  return docs;
}

describe('dump against the sandbox', () => {
  it('dumps every database but backups and local, with the server counts and metadata', async () => {
    const sink = memorySink();
    const summary = await dumpToArchive(client, sink);
    await new Promise((r) => setImmediate(r));
    expect(summary.databases).toContain('admin');
    expect(summary.databases).toContain('juju');
    expect(summary.databases).toContain('presence');
    expect(summary.databases).not.toContain('backups');
    expect(summary.databases).not.toContain('local');
    expect([...sink.entries.keys()].some((k) => k.includes('/backups/') || k.includes('/local/'))).toBe(false);

    for (const c of summary.collections) {
      const bson = sink.entries.get(`juju-backup/dump/${c.db}/${c.name}.bson`);
      expect(bson, `${c.db}.${c.name}`).toBeDefined();
      const docs = readBsonFile(bson!);
      expect(docs.length, `${c.db}.${c.name}`).toBe(await client.db(c.db).collection(c.name).countDocuments());
      const meta = JSON.parse(sink.entries.get(`juju-backup/dump/${c.db}/${c.name}.metadata.json`)!.toString()) as {
        options: object;
        indexes: Array<{ v: number; key: object; name: string; ns: string }>;
      };
      expect(meta.options).toBeTypeOf('object');
      expect(meta.indexes.find((i) => i.name === '_id_')).toMatchObject({ key: { _id: 1 }, ns: `${c.db}.${c.name}` });
    }
    const machines = summary.collections.find((c) => c.db === 'juju' && c.name === 'machines');
    expect(machines?.documents).toBeGreaterThanOrEqual(5);
    expect(summary.collections.some((c) => c.db === 'admin' && c.name === 'system.users')).toBe(true);
  });

  it('captures writes made during the dump in oplog.bson, but not writes to the backups database', async () => {
    const sink = memorySink();
    const marker = `quorum-dump-${Date.now()}`;
    let wrote: Promise<unknown> | null = null;
    await dumpToArchive(client, sink, {
      onProgress: (p) => {
        // The backup's own GridFS upload runs while it dumps: those inserts must not land in its oplog.
        if (p.collection === 2 && wrote === null) {
          wrote = Promise.all([
            client.db('juju').collection('annotations').insertOne({ _id: marker as never, note: 'during dump' }),
            client.db('backups').collection('during.chunks').insertOne({ _id: marker as never, data: Buffer.alloc(64) }),
          ]);
        }
      },
    });
    await wrote;
    await new Promise((r) => setImmediate(r));
    const oplog = readBsonFile(sink.entries.get('juju-backup/dump/oplog.bson')!);
    const hits = oplog.filter((e) => e.op === 'i' && (e.o as Document)._id === marker);
    expect(hits.map((e) => e.ns)).toEqual(['juju.annotations']);
    expect(oplog.some((e) => typeof e.ns === 'string' && e.ns.startsWith('backups.'))).toBe(false);
  });
});
