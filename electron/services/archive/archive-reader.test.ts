import crypto from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archiveMetadataJson } from '../../../shared/backups/metadata';
import { checksumFile, extractArchive, inspectArchive } from './archive-reader';
import { TarGzFileWriter } from './tar-gz-file-writer';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'archive-reader-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ENV = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';
const ORIGIN = { started: '2015-09-14T15:06:14.123Z', notes: 'before upgrade', environment: ENV, machine: '0', hostname: 'juju-0', version: '1.25.6' };

interface RawEntry {
  readonly path: string;
  readonly type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice';
  readonly data?: Buffer | string;
  readonly linkpath?: string;
}

/** Builds a raw tar with no safety checks at all, as an attacker would. */
function rawTar(entries: readonly RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    const type = e.type ?? 'File';
    const h = new Header({ path: e.path, type, size: type === 'File' ? data.length : 0, mode: 0o644, mtime: new Date(0), ...(e.linkpath ? { linkpath: e.linkpath } : {}) });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    parts.push(block);
    if (type === 'File') {
      parts.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

async function writeGz(name: string, tarBytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, zlib.gzipSync(tarBytes));
  return file;
}

async function jujuArchive(): Promise<string> {
  const finalPath = path.join(dir, 'juju-backup-20150914-150614.tar.gz');
  const w = await TarGzFileWriter.create({ finalPath, blockSize: 64 * 1024 });
  await w.addDirectory('juju-backup');
  await w.addBuffer('juju-backup/metadata.json', Buffer.from(archiveMetadataJson(ORIGIN)));
  const root = rawTar([
    { path: 'var/lib/juju/', type: 'Directory' },
    { path: 'var/lib/juju/server.pem', data: 'PEM' },
    { path: 'var/lib/juju/tools/machine-0', type: 'SymbolicLink', linkpath: '1.25.6-trusty-amd64' },
  ]);
  await w.addBuffer('juju-backup/root.tar', root);
  await w.addDirectory('juju-backup/dump');
  await w.addBuffer('juju-backup/dump/juju/machines.bson', crypto.randomBytes(1000));
  await w.addBuffer('juju-backup/dump/juju/machines.metadata.json', Buffer.from('{"options":{},"indexes":[]}'));
  await w.addBuffer('juju-backup/dump/admin/system.users.bson', crypto.randomBytes(10));
  await w.addBuffer('juju-backup/dump/oplog.bson', crypto.randomBytes(77));
  await w.finish();
  return finalPath;
}

describe('inspectArchive', () => {
  it('lists the layout, parses metadata.json and derives what Juju would for an upload', async () => {
    const file = await jujuArchive();
    const info = await inspectArchive(file);
    const bytes = await readFile(file);
    expect(info.checksum).toBe(crypto.createHash('sha1').update(bytes).digest('base64'));
    expect(info.size).toBe(bytes.length);
    expect(info.archiveMetadata).toMatchObject({ id: '', checksum: '', size: 0, stored: null, finished: null, notes: 'before upgrade', machine: '0' });
    expect(info.metadata.id).toBe(`20150914-150614.${ENV}`);
    expect(info.metadata.checksumFormat).toBe('SHA-1, base64 encoded');
    expect(info.databases).toEqual([
      { name: 'admin', collections: [{ name: 'system.users', bsonBytes: 10, hasMetadata: false }] },
      { name: 'juju', collections: [{ name: 'machines', bsonBytes: 1000, hasMetadata: true }] },
    ]);
    expect(info.oplogBytes).toBe(77);
    expect(info.rootTar.present).toBe(true);
    expect(info.rootTar.members.map((m) => m.path)).toEqual(['var/lib/juju/', 'var/lib/juju/server.pem', 'var/lib/juju/tools/machine-0']);
    expect(info.unsafeMembers).toEqual([]);
  });

  it('streams the checksum with progress', async () => {
    const file = await jujuArchive();
    const seen: number[] = [];
    const { checksum, size } = await checksumFile(file, { onProgress: (n) => seen.push(n) });
    expect(checksum).toBe(crypto.createHash('sha1').update(await readFile(file)).digest('base64'));
    expect(seen.at(-1)).toBe(size);
  });

  it.each([
    ['not gzip', async () => writeFile(path.join(dir, 'x.tar.gz'), 'just some text, not gzip'), /not a gzip file/],
    ['empty', async () => writeFile(path.join(dir, 'x.tar.gz'), ''), /empty/],
    ['gzip but not tar', async () => writeFile(path.join(dir, 'x.tar.gz'), zlib.gzipSync(crypto.randomBytes(5000))), /not a valid tar/],
    // A first block whose checksum field is filled in but wrong: node-tar reports a checksum failure (random data does, now and then).
    ['gzip of a bad first header', async () => writeFile(path.join(dir, 'x.tar.gz'), zlib.gzipSync(badChecksumBlock())), /not a valid tar/],
    ['foreign tar', async () => writeFile(path.join(dir, 'x.tar.gz'), zlib.gzipSync(rawTar([{ path: 'photos/cat.jpg', data: 'meow' }]))), /no juju-backup\/metadata\.json/],
    ['bad metadata.json', async () => writeFile(path.join(dir, 'x.tar.gz'), zlib.gzipSync(rawTar([{ path: 'juju-backup/metadata.json', data: '{not json' }]))), /metadata\.json is unreadable/],
  ])('reports %s as archive-invalid with the reason', async (_name, make, reason) => {
    await make();
    const error = await inspectArchive(path.join(dir, 'x.tar.gz')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'archive-invalid' });
    expect((error as Error).message).toMatch(reason);
  });

  it('reports a truncated archive', async () => {
    const file = await jujuArchive();
    const bytes = await readFile(file);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const error = await inspectArchive(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'archive-invalid' });
    expect((error as Error).message).toMatch(/truncated/);
  });

  it('reports corrupt gzip data', async () => {
    const file = await jujuArchive();
    const bytes = await readFile(file);
    for (let i = 20; i < bytes.length - 20; i += 7) bytes[i] = bytes[i]! ^ 0x5a;
    await writeFile(file, bytes);
    const error = await inspectArchive(file).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'archive-invalid' });
  });

  it('flags hostile members without extracting anything', async () => {
    const file = await writeGz(
      'hostile.tar.gz',
      rawTar([
        { path: 'juju-backup/metadata.json', data: archiveMetadataJson(ORIGIN) },
        { path: '/etc/evil', data: 'x' },
        { path: 'juju-backup/../../evil', data: 'x' },
        { path: 'juju-backup/link', type: 'SymbolicLink', linkpath: '../../../etc' },
      ]),
    );
    const info = await inspectArchive(file);
    expect(info.unsafeMembers).toHaveLength(3);
  });
});

describe('extractArchive', () => {
  it('extracts a Juju archive into an empty folder', async () => {
    const file = await jujuArchive();
    const target = path.join(dir, 'out');
    const result = await extractArchive(file, target);
    expect(result.files).toBeGreaterThan(5);
    expect(JSON.parse(await readFile(path.join(target, 'juju-backup', 'metadata.json'), 'utf8'))).toMatchObject({ Machine: '0' });
  });

  it.each<[string, RawEntry[]]>([
    ['an absolute path', [{ path: '/tmp/quorum-escape-abs', data: 'pwned' }]],
    ['a .. path', [{ path: 'a/../../quorum-escape-dotdot', data: 'pwned' }]],
    ['a symlink to an absolute path', [{ path: 'evil', type: 'SymbolicLink', linkpath: '/etc' }]],
    ['a symlink that climbs out', [{ path: 'sub/evil', type: 'SymbolicLink', linkpath: '../../..' }]],
    [
      'a file written through an escaping symlink',
      [
        { path: 'esc', type: 'SymbolicLink', linkpath: '..' },
        { path: 'esc/quorum-escape-through', data: 'pwned' },
      ],
    ],
    ['a hard link out of the target', [{ path: 'hl', type: 'Link', linkpath: '../outside' }]],
    ['a device node', [{ path: 'dev', type: 'CharacterDevice' }]],
  ])('refuses %s with unsafe-path and writes nothing outside', async (_name, entries) => {
    await writeFile(path.join(dir, 'outside'), 'keep');
    const file = await writeGz('hostile.tar.gz', rawTar([{ path: 'ok.txt', data: 'fine' }, ...entries]));
    const target = path.join(dir, 'nested', 'target');
    await mkdir(target, { recursive: true });
    const error = await extractArchive(file, target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'unsafe-path' });
    // Nothing escaped, and nothing half-extracted stays behind.
    expect(await readdir(target)).toEqual([]);
    expect((await readdir(path.join(dir, 'nested'))).sort()).toEqual(['target']);
    expect((await readdir(dir)).sort()).toEqual(['hostile.tar.gz', 'nested', 'outside']);
    expect(await readFile(path.join(dir, 'outside'), 'utf8')).toBe('keep');
    await expect(lstat('/tmp/quorum-escape-abs')).rejects.toThrow();
  });

  it('refuses a folder that is not empty', async () => {
    const file = await jujuArchive();
    const target = path.join(dir, 'busy');
    await mkdir(target);
    await writeFile(path.join(target, 'x'), '1');
    await expect(extractArchive(file, target)).rejects.toMatchObject({ code: 'conflict' });
  });
});

/** One 512-byte tar header with a name, ustar magic and a checksum that does not match it, then end-of-archive blocks. */
function badChecksumBlock(): Buffer {
  const block = Buffer.alloc(512);
  block.write('notes.txt', 0);
  block.write('0000644\0', 100);
  block.write('00000000000\0', 124);
  block.write('0000001\0', 148);
  block.write('0', 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  return Buffer.concat([block, Buffer.alloc(1024)]);
}
