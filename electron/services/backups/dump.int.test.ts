import { PassThrough, type Writable } from 'node:stream';
import { deserialize, type Document } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JujuDbClient } from '../mongo/juju-db-client';
import { dumpToArchive, type DumpSink } from './dump';
import { BACKUP_TEST_PROFILES, startSandboxMongo, type SandboxMongo } from './testing/sandbox-mongo';

/**
 * The dump against the sandbox's juju-db through the real connection layer,
 * on MongoDB 2.4 (Juju 1.25's juju-db, through the legacy client) and 6.0
 * (through the driver): every database but backups/local, raw BSON readable
 * by the `bson` package with the server's counts, metadata.json in the
 * format of the mongodump of that server, and an oplog that captures writes
 * made while the dump runs.
 */

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

/** 2.4's metadata.json has two unquoted keys (`{options : …, indexes:[…]}`); the rest is strict JSON. */
function parseMetadata24(text: string): { options?: Document; indexes?: Document[] } {
  return JSON.parse(text.replace(/^\{options : /, '{"options" : ').replace(/(^\{|, )indexes:\[/, '$1"indexes":[')) as { options?: Document; indexes?: Document[] };
}

async function count(client: JujuDbClient, db: string, collection: string): Promise<number> {
  return Number((await client.command(db, { count: collection })).n);
}

describe.each(BACKUP_TEST_PROFILES)('dump against the sandbox (MongoDB %s)', (profile) => {
  let stack: SandboxMongo;
  let client: JujuDbClient;

  beforeAll(async () => {
    stack = await startSandboxMongo('quorum-dump-', profile);
    client = stack.client;
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('talks to the profile asked for', () => {
    expect(client.server.version.startsWith(profile === '2.4' ? '2.4.' : '6.0.')).toBe(true);
    expect(client.server.protocol).toBe(profile === '2.4' ? 'legacy' : 'driver');
  });

  it('dumps every database but backups and local, with the server counts and metadata', async () => {
    const sink = memorySink();
    const summary = await dumpToArchive(client, sink);
    await new Promise((r) => setImmediate(r));
    expect(summary.databases).toContain('admin');
    expect(summary.databases).toContain('juju');
    expect(summary.databases).toContain('presence');
    expect(summary.databases).not.toContain('backups');
    expect(summary.databases).not.toContain('local');
    const names = [...sink.entries.keys()];
    expect(names.some((k) => k.includes('/backups/') || k.includes('/local/'))).toBe(false);
    // Neither mongodump 2.4 nor the Go mongodump writes system.indexes (2.4 puts the indexes in metadata.json).
    expect(names.filter((k) => k.includes('system.indexes') || k.includes('system.namespaces'))).toEqual([]);
    // Users are kept: in 2.4 they live in each database's system.users, Juju's in admin.
    expect(names).toContain('juju-backup/dump/admin/system.users.bson');
    expect(names).toContain('juju-backup/dump/admin/system.users.metadata.json');
    expect(readBsonFile(sink.entries.get('juju-backup/dump/admin/system.users.bson')!).some((u) => u.user === 'machine-0')).toBe(true);

    for (const c of summary.collections) {
      const bson = sink.entries.get(`juju-backup/dump/${c.db}/${c.name}.bson`);
      expect(bson, `${c.db}.${c.name}`).toBeDefined();
      const docs = readBsonFile(bson!);
      expect(docs.length, `${c.db}.${c.name}`).toBe(await count(client, c.db, c.name));
      const text = sink.entries.get(`juju-backup/dump/${c.db}/${c.name}.metadata.json`)!.toString();
      const meta = profile === '2.4' ? parseMetadata24(text) : (JSON.parse(text) as { options?: Document; indexes?: Document[] });
      expect(meta.indexes?.find((i) => i.name === '_id_'), `${c.db}.${c.name}`).toMatchObject({ key: { _id: 1 }, ns: `${c.db}.${c.name}` });
    }
    const machines = summary.collections.find((c) => c.db === 'juju' && c.name === 'machines');
    expect(machines?.documents).toBeGreaterThanOrEqual(5);

    const machinesMeta = sink.entries.get('juju-backup/dump/juju/machines.metadata.json')!.toString();
    if (profile === '2.4') {
      // 2.4's writeMetadataFile: unquoted keys, system.indexes documents as 2.4 stores them (v, key, ns, name),
      // BSONObj::jsonString's spacing, no newline.
      expect(machinesMeta).toMatch(/^\{(options : \{ .* \}, )?indexes:\[\{ "v" : 1, "key" : \{ "_id" : 1 \}, "ns" : "juju\.machines", "name" : "_id_" \}(, \{ .* \})*\]\}$/);
      expect(machinesMeta).not.toContain('"uuid"');
    } else {
      // The Go mongodump's: relaxed Extended JSON, index v/key/name/ns first, the UUID 3.6+ has.
      expect(machinesMeta).toMatch(/^\{"options":\{.*\},"indexes":\[\{"v":2,"key":\{"_id":1\},"name":"_id_","ns":"juju\.machines"\}.*\],"uuid":"[0-9a-f]{32}"\}$/);
    }
  });

  it('captures writes made during the dump in oplog.bson, but not writes to the backups database', async () => {
    const sink = memorySink();
    const marker = `quorum-dump-${Date.now()}`;
    let wrote: Promise<unknown> | null = null;
    await dumpToArchive(client, sink, {
      onProgress: (p) => {
        // The backup's own GridFS upload may run while it dumps: those inserts must not land in its oplog.
        if (p.collection === 2 && wrote === null) {
          wrote = Promise.all([
            client.insert({ db: 'juju', collection: 'annotations' }, [{ _id: marker, note: 'during dump' }]),
            client.insert({ db: 'backups', collection: 'during.chunks' }, [{ _id: marker, data: Buffer.alloc(64) }]),
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
