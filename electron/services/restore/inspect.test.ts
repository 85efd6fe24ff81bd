import crypto from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveMetadataJson } from '../../../shared/backups/metadata';
import { QuorumError } from '../../../shared/errors';
import { restoreVerdict } from '../../../shared/restore/verdict';
import { inspectBackup } from './inspect';
import { agentConf, FIXTURE_ENV, FIXTURE_ORIGIN, tarOf, writeBackupFixture } from './testing/backup-fixture';
import { openTar, writeTarGz } from './testing/mutate';
import { paxRecord, rawTar, type RawEntry } from './testing/raw-tar';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'restore-inspect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fixture = (name = 'juju-backup-20150914-150614.tar.gz', options: Parameters<typeof writeBackupFixture>[1] = {}): Promise<string> =>
  writeBackupFixture(path.join(dir, name), options).then((w) => w.path);

async function refusal(promise: Promise<unknown>): Promise<QuorumError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QuorumError);
  return error as QuorumError;
}

/** The fixture's tar with `entries` appended (and a fresh end marker), gzipped. */
async function withAppended(entries: readonly RawEntry[], options: Parameters<typeof writeBackupFixture>[1] = {}): Promise<string> {
  const base = await openTar(await fixture('base.tar.gz', options));
  const file = path.join(dir, 'x.tar.gz');
  await writeTarGz(file, Buffer.concat([base, rawTar(entries, { end: false })]));
  return file;
}

describe('inspectBackup on a sound archive', () => {
  it('reports metadata, checksum, root.tar, every collection with its document count and flavour, and the oplog span', async () => {
    const file = await fixture();
    const bytes = await readFile(file);
    const progress: number[] = [];
    const info = await inspectBackup(file, { onProgress: (n) => progress.push(n) });
    expect(info.checksum).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));
    expect(info.size).toBe(bytes.length);
    expect(progress.at(-1)).toBe(bytes.length);
    expect(info.gzip.uncompressedBytes).toBe(zlib.gunzipSync(bytes).length);
    expect(info.layout).toEqual({ metadataJson: true, rootTar: true, dump: true, otherMembers: [] });
    expect(info.metadata).toMatchObject({ id: '', checksum: '', size: 0, stored: null, finished: null, started: FIXTURE_ORIGIN.started, notes: 'before upgrade', environment: FIXTURE_ENV, machine: '0', hostname: 'juju-state-0', version: '1.25.6' });
    expect(info.backupId).toBe(`20150914-150614.${FIXTURE_ENV}`);
    expect(info.rootTar.files.map((f) => f.path)).toEqual([
      'var/lib/juju/agents/machine-0/agent.conf',
      'var/lib/juju/server.pem',
      'var/lib/juju/shared-secret',
      'var/lib/juju/system-identity',
    ]);
    expect(info.rootTar.files[0]!.size).toBe(agentConf('0').length);
    expect(info.rootTar.agentConfs).toEqual(['var/lib/juju/agents/machine-0/agent.conf']);
    const summary = info.dump.databases.map((d) => [d.name, d.documents, d.collections.map((c) => `${c.name}:${c.documents}:${c.metadataFlavour}:${c.indexes}`)]);
    expect(summary).toEqual([
      ['admin', 1, ['system.users:1:mongodump-2.4:1']],
      ['juju', 5, ['machines:3:mongodump-2.4:2', 'settings:2:json:1', 'txns.log:0:empty:0']],
      ['presence', 1, ['presence.beings:1:missing:0']],
    ]);
    expect(info.dump.documents).toBe(7);
    expect(info.dump.flavours).toEqual({ 'mongodump-2.4': 2, json: 1, empty: 1, missing: 1 });
    expect(info.oplog).toMatchObject({
      documents: 3,
      first: { seconds: 1_442_243_174, increment: 1, iso: '2015-09-14T15:06:14.000Z' },
      last: { seconds: 1_442_243_180, increment: 3, iso: '2015-09-14T15:06:20.000Z' },
    });
    expect(restoreVerdict(info)).toMatchObject({ allowed: true, path: 'oplog-replay' });
  });

  it('accepts the checksum the library or server recorded', async () => {
    const file = await fixture();
    const sha = crypto.createHash('sha1').update(await readFile(file)).digest('base64');
    await expect(inspectBackup(file, { expectedChecksum: sha })).resolves.toMatchObject({ expectedChecksum: sha, checksum: sha });
  });

  it('reads an archive without metadata.json (1.20 plugin) and leaves the refusal to the verdict', async () => {
    const file = await fixture('legacy.tgz', { metadataText: null });
    const info = await inspectBackup(file);
    expect(info.metadata).toBeNull();
    expect(info.layout.metadataJson).toBe(false);
    expect(restoreVerdict(info)).toMatchObject({ allowed: false, jujuError: 'cannot restore this backup version' });
  });

  it('counts documents across gzip block and chunk boundaries', async () => {
    const documents = Array.from({ length: 3000 }, (_, n) => ({ _id: n, pad: 'x'.repeat(n % 97) }));
    const file = await fixture('big.tar.gz', { collections: [{ db: 'juju', name: 'big', flavour: 'json', documents }], blockSize: 4096 });
    const info = await inspectBackup(file);
    expect(info.dump.databases[0]!.collections[0]).toMatchObject({ name: 'big', documents: 3000, hasBson: true });
  });

  it('stops when cancelled, with cancelled', async () => {
    const documents = Array.from({ length: 20_000 }, (_, n) => ({ _id: n, pad: crypto.randomBytes(64).toString('hex') }));
    const file = await fixture('big.tar.gz', { collections: [{ db: 'juju', name: 'big', flavour: 'json', documents }] });
    const controller = new AbortController();
    const error = await refusal(inspectBackup(file, { signal: controller.signal, onProgress: () => controller.abort() }));
    expect(error.code).toBe('cancelled');
  });

  it('lists members under juju-backup/ that Juju does not write without refusing', async () => {
    const file = await withAppended([{ path: 'juju-backup/environconfig.json', data: '{}' }]);
    expect((await inspectBackup(file)).layout.otherMembers).toEqual(['juju-backup/environconfig.json']);
  });
});

describe('inspectBackup refuses damaged archives with the reason', () => {
  const cases: Array<[string, () => Promise<string>, string, RegExp]> = [
    ['a truncated gzip', async () => cut(await fixture(), 0.6), 'archive-invalid', /truncated/],
    ['a bad CRC-32', async () => flip(await fixture(), -8), 'archive-invalid', /CRC-32/],
    ['a bad length trailer', async () => flip(await fixture(), -2), 'archive-invalid', /length/],
    ['trailing garbage', async () => append(await fixture(), Buffer.from('GARBAGE!')), 'archive-invalid', /trailing garbage/],
    ['trailing zeros', async () => append(await fixture(), Buffer.alloc(64)), 'archive-invalid', /64 bytes follow the end of the gzip stream/],
    ['not gzip', async () => put('x.tgz', Buffer.from('hello, not an archive')), 'archive-invalid', /not a gzip file/],
    ['gzip of no tar', async () => put('x.tgz', zlib.gzipSync(crypto.randomBytes(4000))), 'archive-invalid', /not a valid tar/],
    ['a foreign tar', async () => put('x.tgz', zlib.gzipSync(rawTar([{ path: 'photos/cat.jpg', data: 'meow' }]))), 'archive-invalid', /outside juju-backup/],
    ['a member outside juju-backup/', () => withAppended([{ path: 'other/readme', data: 'x' }]), 'archive-invalid', /other\/readme is outside juju-backup/],
    ['an empty juju-backup/', async () => put('x.tgz', zlib.gzipSync(rawTar([{ path: 'juju-backup/', type: 'Directory' }]))), 'archive-invalid', /not a Juju backup/],
    ['metadata.json that is not JSON', () => fixture('m.tgz', { metadataText: '{not json' }), 'archive-invalid', /metadata\.json is not JSON/],
    ['metadata.json missing keys', () => fixture('m.tgz', { metadataText: JSON.stringify({ Started: FIXTURE_ORIGIN.started, Environment: FIXTURE_ENV }) }), 'archive-invalid', /lacks ID, Checksum, ChecksumFormat, Size, Stored, Finished, Notes, Machine, Hostname, Version/],
    ['metadata.json with a wrong type', () => fixture('m.tgz', { metadataText: archiveMetadataJson(FIXTURE_ORIGIN).replace('"Size":0', '"Size":"0"') }), 'archive-invalid', /Size is not a byte count/],
    ['metadata.json with a bad time', () => fixture('m.tgz', { metadataText: archiveMetadataJson(FIXTURE_ORIGIN).replace(/"Started":"[^"]+"/, '"Started":"yesterday"') }), 'archive-invalid', /Started is not an RFC 3339 time/],
    ['no root.tar', async () => put('x.tgz', zlib.gzipSync(rawTar([{ path: 'juju-backup/metadata.json', data: archiveMetadataJson(FIXTURE_ORIGIN) }, { path: 'juju-backup/dump/', type: 'Directory' }]))), 'archive-invalid', /no juju-backup\/root\.tar/],
    ['no dump', async () => put('x.tgz', zlib.gzipSync(rawTar([{ path: 'juju-backup/metadata.json', data: archiveMetadataJson(FIXTURE_ORIGIN) }, { path: 'juju-backup/root.tar', data: tarOf([{ name: 'var/lib/juju/nonce.txt', data: 'n' }]) }]))), 'archive-invalid', /no juju-backup\/dump/],
    ['a damaged root.tar', () => { const t = tarOf([{ name: 'var/lib/juju/nonce.txt', data: 'n' }]); t[3] = t[3]! ^ 0x20; return fixture('r.tgz', { rootTar: t }); }, 'archive-invalid', /root\.tar is damaged: a tar header is damaged/],
    ['a BSON length past the end', () => withAppended([{ path: 'juju-backup/dump/juju/bad.bson', data: Buffer.from([0xff, 0xff, 0xff, 0x7f, 0]) }]), 'archive-invalid', /bad\.bson is damaged: document 1 .* impossible length/],
    ['a truncated BSON file', () => withAppended([{ path: 'juju-backup/dump/juju/short.bson', data: Buffer.from([0x10, 0, 0, 0, 1, 2]) }]), 'archive-invalid', /short\.bson is damaged: it ends inside document 1/],
    ['a BSON document without its terminator', () => withAppended([{ path: 'juju-backup/dump/juju/t.bson', data: Buffer.from([5, 0, 0, 0, 1]) }]), 'archive-invalid', /zero byte/],
    ['an unreadable collection metadata.json', () => withAppended([{ path: 'juju-backup/dump/juju/x.metadata.json', data: '{options : {' }]), 'archive-invalid', /x\.metadata\.json is unreadable/],
    ['a damaged oplog.bson', () => withAppended([{ path: 'juju-backup/dump/oplog.bson', data: Buffer.from([9, 0, 0, 0]) }], { oplogSeconds: null }), 'archive-invalid', /oplog\.bson is damaged: it ends inside document 1/],
    ['a duplicated metadata.json', () => withAppended([{ path: 'juju-backup/metadata.json', data: archiveMetadataJson({ ...FIXTURE_ORIGIN, version: '1.18.0' }) }]), 'archive-invalid', /metadata\.json appears more than once/],
    ['an oversized pax header', () => withAppended([{ path: 'juju-backup/PaxHeaders/x', type: 'ExtendedHeader', data: paxRecord('comment', 'x'.repeat(1024 * 1024 + 10)) }, { path: 'juju-backup/y', data: 'y' }]), 'archive-invalid', /oversized/],
    ['data after the end of the tar', async () => { const base = await openTar(await fixture('b.tgz')); const file = path.join(dir, 'x.tgz'); await writeTarGz(file, Buffer.concat([base, Buffer.alloc(1024), Buffer.from('hidden payload')]), { end: false }); return file; }, 'archive-invalid', /after the end of the tar/],
  ];
  it.each(cases)('%s', async (_name, make, code, reason) => {
    const error = await refusal(inspectBackup(await make()));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/\.$/);
  });

  it('refuses a wrong checksum with checksum-mismatch', async () => {
    const file = await fixture();
    const error = await refusal(inspectBackup(file, { expectedChecksum: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }));
    expect(error.code).toBe('checksum-mismatch');
    expect(error.message).toMatch(/does not match its recorded checksum/);
  });
});

describe('inspectBackup refuses hostile members with unsafe-path', () => {
  const outer: Array<[string, RawEntry]> = [
    ['an absolute path', { path: '/etc/cron.d/evil', data: 'x' }],
    ['a .. path', { path: 'juju-backup/../../evil', data: 'x' }],
    ['a symlink out', { path: 'juju-backup/link', type: 'SymbolicLink', linkpath: '../../../../../etc' }],
    ['an absolute symlink', { path: 'juju-backup/link', type: 'SymbolicLink', linkpath: '/etc/passwd' }],
    ['a hard link out', { path: 'juju-backup/hl', type: 'Link', linkpath: '../../etc/shadow' }],
    ['a character device', { path: 'juju-backup/tty', type: 'CharacterDevice' }],
    ['a block device', { path: 'juju-backup/sda', type: 'BlockDevice' }],
    ['a FIFO', { path: 'juju-backup/pipe', type: 'FIFO' }],
  ];
  it.each(outer)('in the archive: %s', async (_name, entry) => {
    const error = await refusal(inspectBackup(await withAppended([entry])));
    expect(error.code).toBe('unsafe-path');
    expect(error.message).toContain(entry.path.replace(/^\/+/, '/'));
  });

  it.each(outer)('in root.tar: %s', async (_name, entry) => {
    const inner = { ...entry, path: entry.path.replace('juju-backup/', 'var/lib/juju/') };
    const root = Buffer.concat([tarOf([{ name: 'var/lib/juju/agents/machine-0/agent.conf', data: agentConf('0') }]).subarray(0, 1024), rawTar([inner])]);
    const error = await refusal(inspectBackup(await fixture('r.tgz', { rootTar: root })));
    expect(error.code).toBe('unsafe-path');
    expect(error.message).toContain('root.tar:');
  });
});

async function put(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}
async function cut(file: string, fraction: number): Promise<string> {
  const bytes = await readFile(file);
  return put('cut.tgz', bytes.subarray(0, Math.floor(bytes.length * fraction)));
}
async function flip(file: string, fromEnd: number): Promise<string> {
  const bytes = Buffer.from(await readFile(file));
  bytes[bytes.length + fromEnd] = bytes[bytes.length + fromEnd]! ^ 0x01;
  return put('flip.tgz', bytes);
}
async function append(file: string, extra: Buffer): Promise<string> {
  return put('append.tgz', Buffer.concat([await readFile(file), extra]));
}
