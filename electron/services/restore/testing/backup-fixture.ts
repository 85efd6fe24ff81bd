import { ObjectId, serialize, Timestamp, type Document } from 'bson';
import { archiveMetadataJson, type ArchiveOrigin } from '../../../../shared/backups/metadata';
import { CONTENT_DIR, DUMP_DIR, METADATA_ENTRY, OPLOG_ENTRY, ROOT_TAR_ENTRY, dumpBsonEntry, dumpMetadataEntry } from '../../archive/juju-archive';
import { encodeTarHeader, tarEnd, tarPadding } from '../../archive/tar-format';
import { TarGzFileWriter, type WrittenArchive } from '../../archive/tar-gz-file-writer';
import { collectionMetadataJson, collectionMetadataJson24 } from '../../backups/dump';

/**
 * Juju-shaped backup archives for the restore tests, written with the
 * project's own archive writer (TarGzFileWriter, tar-format) and its own
 * dump formatters (2.4's unquoted metadata.json and the Go mongodump's
 * JSON), so the inspector is tested on what Quorum's backups really produce.
 */

export const FIXTURE_ENV = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';

export const FIXTURE_ORIGIN: ArchiveOrigin = {
  started: '2015-09-14T15:06:14.123Z',
  notes: 'before upgrade',
  environment: FIXTURE_ENV,
  machine: '0',
  hostname: 'juju-state-0',
  version: '1.25.6',
};

export interface FixtureCollection {
  readonly db: string;
  readonly name: string;
  readonly documents: readonly Document[];
  /** metadata.json flavour, or null for none. */
  readonly flavour: 'mongodump-2.4' | 'json' | null;
  readonly indexes?: readonly Document[];
}

export interface FixtureOptions {
  readonly origin?: Partial<ArchiveOrigin>;
  /** Replaces metadata.json's text; null leaves it out (a 1.20 plugin archive). */
  readonly metadataText?: string | null;
  readonly collections?: readonly FixtureCollection[];
  /** Oplog entries' `ts` seconds; null leaves oplog.bson out. */
  readonly oplogSeconds?: readonly number[] | null;
  /** root.tar members (defaults: agent.conf of the origin machine and a few host files). */
  readonly rootFiles?: ReadonlyArray<{ readonly name: string; readonly data: string }>;
  /** Raw root.tar bytes, replacing rootFiles. */
  readonly rootTar?: Buffer;
  readonly blockSize?: number;
}

export const agentConf = (machine: string): string =>
  [
    '# format 1.18',
    `tag: machine-${machine}`,
    'datadir: /var/lib/juju',
    'stateaddresses:',
    '- 10.0.0.1:37017',
    'apiaddresses:',
    '- 10.0.0.1:17070',
    'oldpassword: b0a2c3d4e5f60718293a4b5c',
    'statepassword: 0f1e2d3c4b5a69788796a5b4',
    'stateport: 37017',
    'apiport: 17070',
    '',
  ].join('\n');

export function defaultCollections(): FixtureCollection[] {
  const idIndex = (ns: string): Document => ({ v: 1, key: { _id: 1 }, ns, name: '_id_' });
  return [
    { db: 'admin', name: 'system.users', flavour: 'mongodump-2.4', documents: [{ _id: new ObjectId('5f1e2d3c4b5a697887960001'), pwd: '0123456789abcdef0123456789abcdef', roles: ['clusterAdmin'], user: 'machine-0' }], indexes: [idIndex('admin.system.users')] },
    {
      db: 'juju',
      name: 'machines',
      flavour: 'mongodump-2.4',
      documents: [0, 1, 2].map((n) => ({ _id: `${FIXTURE_ENV}:${n}`, machineid: String(n), instanceid: `i-${n}`, jobs: [n === 0 ? 2 : 1] })),
      indexes: [idIndex('juju.machines'), { v: 1, key: { 'env-uuid': 1 }, ns: 'juju.machines', name: 'env-uuid_1' }],
    },
    { db: 'juju', name: 'settings', flavour: 'json', documents: [{ _id: 'e', name: 'env' }, { _id: 's#wordpress', 'txn-revno': 2 }], indexes: [idIndex('juju.settings')] },
    { db: 'juju', name: 'txns.log', flavour: 'mongodump-2.4', documents: [] },
    { db: 'presence', name: 'presence.beings', flavour: null, documents: [{ _id: 1, key: 'm#0' }] },
  ];
}

/** A tar built from the project's own header encoder. */
export function tarOf(files: ReadonlyArray<{ readonly name: string; readonly data: string | Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const data = typeof f.data === 'string' ? Buffer.from(f.data) : f.data;
    parts.push(encodeTarHeader({ name: f.name, type: 'file', size: data.length, mode: 0o600, mtime: new Date(1_442_243_174_000) }), data, Buffer.alloc(tarPadding(data.length)));
  }
  parts.push(tarEnd());
  return Buffer.concat(parts);
}

export function bsonFile(documents: readonly Document[]): Buffer {
  return Buffer.concat(documents.map((d) => Buffer.from(serialize(d))));
}

export function oplogBson(seconds: readonly number[]): Buffer {
  return bsonFile(seconds.map((t, n) => ({ ts: new Timestamp({ t, i: n + 1 }), h: BigInt(n), v: 2, op: 'i', ns: 'juju.machines', o: { _id: `op-${n}` } })));
}

function metadataFor(c: FixtureCollection): string | null {
  const indexes = c.indexes ?? [];
  if (c.flavour === 'mongodump-2.4') return collectionMetadataJson24(null, indexes);
  if (c.flavour === 'json') return collectionMetadataJson(c.db, c.name, {}, indexes, null);
  return null;
}

export interface FixtureEntry {
  readonly path: string;
  /** null for a directory. */
  readonly data: Buffer | null;
}

/** The members `writeBackupFixture` writes, in order (what Juju's create.go puts in the archive). */
export function fixtureEntries(options: FixtureOptions = {}): FixtureEntry[] {
  const origin = { ...FIXTURE_ORIGIN, ...options.origin };
  const entries: FixtureEntry[] = [{ path: CONTENT_DIR, data: null }];
  const meta = options.metadataText === undefined ? archiveMetadataJson(origin) : options.metadataText;
  if (meta !== null) entries.push({ path: METADATA_ENTRY, data: Buffer.from(meta) });
  const root =
    options.rootTar ??
    tarOf(
      options.rootFiles ?? [
        { name: `var/lib/juju/agents/machine-${origin.machine}/agent.conf`, data: agentConf(origin.machine) },
        { name: 'var/lib/juju/server.pem', data: '-----BEGIN CERTIFICATE-----\n' },
        { name: 'var/lib/juju/shared-secret', data: 'c2VjcmV0' },
        { name: 'var/lib/juju/system-identity', data: '-----BEGIN RSA PRIVATE KEY-----\n' },
      ],
    );
  entries.push({ path: ROOT_TAR_ENTRY, data: root }, { path: DUMP_DIR, data: null });
  for (const c of options.collections ?? defaultCollections()) {
    entries.push({ path: dumpBsonEntry(c.db, c.name), data: bsonFile(c.documents) });
    const m = metadataFor(c);
    if (m !== null) entries.push({ path: dumpMetadataEntry(c.db, c.name), data: Buffer.from(m) });
  }
  const oplog = options.oplogSeconds === undefined ? [1_442_243_174, 1_442_243_175, 1_442_243_180] : options.oplogSeconds;
  if (oplog !== null) entries.push({ path: OPLOG_ENTRY, data: oplogBson(oplog) });
  return entries;
}

/** Writes a Juju-shaped `.tar.gz` at `finalPath` (which must not exist) with the project's archive writer. */
export async function writeBackupFixture(finalPath: string, options: FixtureOptions = {}): Promise<WrittenArchive> {
  const w = await TarGzFileWriter.create({ finalPath, blockSize: options.blockSize ?? 16 * 1024, workers: 1, mtime: new Date(1_442_243_174_000) });
  try {
    for (const e of fixtureEntries(options)) {
      if (e.data === null) await w.addDirectory(e.path);
      else await w.addBuffer(e.path, e.data);
    }
    return await w.finish();
  } catch (error) {
    await w.abort(error);
    throw error;
  }
}
