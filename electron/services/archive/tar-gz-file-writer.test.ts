import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { checksumFile } from './archive-reader';
import { TarGzFileWriter } from './tar-gz-file-writer';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tgz-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function listTar(gz: Buffer): Array<{ path: string; size: number; type: string; data: Buffer }> {
  const out: Array<{ path: string; size: number; type: string; data: Buffer }> = [];
  const parser = new tar.Parser({
    strict: true,
    onReadEntry: (e) => {
      const parts: Buffer[] = [];
      e.on('data', (c: Buffer) => parts.push(c));
      e.on('end', () => out.push({ path: e.path, size: e.size, type: e.type, data: Buffer.concat(parts) }));
    },
  });
  parser.end(zlib.gunzipSync(gz));
  return out;
}

describe('TarGzFileWriter', () => {
  it('writes entries of known and unknown size in order, 0600, with the SHA-1 of the file', async () => {
    const finalPath = path.join(dir, 'juju-backup-20240101-000000.tar.gz');
    const big = crypto.randomBytes(300_000);
    const w = await TarGzFileWriter.create({ finalPath, blockSize: 64 * 1024 });
    await w.addDirectory('juju-backup');
    await w.addBuffer('juju-backup/metadata.json', Buffer.from('{"ID":""}\n'));
    const streamed = await w.openEntry('juju-backup/dump/juju/machines.bson');
    streamed.end(big); // past its first block: streamed, header patched
    const inline = await w.openEntry('juju-backup/dump/juju/units.bson');
    inline.end(Buffer.from('small'));
    await w.addStream('juju-backup/root.tar', 3, Readable.from([Buffer.from('abc')]));
    const written = await w.finish();

    const file = await readFile(finalPath);
    expect(written.size).toBe(file.length);
    expect(written.checksum).toBe(crypto.createHash('sha1').update(file).digest('base64'));
    expect((await stat(finalPath)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['juju-backup-20240101-000000.tar.gz']); // no .partial
    const entries = listTar(file);
    expect(entries.map((e) => e.path)).toEqual([
      'juju-backup/',
      'juju-backup/metadata.json',
      'juju-backup/dump/juju/machines.bson',
      'juju-backup/dump/juju/units.bson',
      'juju-backup/root.tar',
    ]);
    expect(entries[2]!.data.equals(big)).toBe(true);
    expect(entries[3]!.data.toString()).toBe('small');
    // GNU tar agrees.
    const gnu = spawnSync('tar', ['-tzf', finalPath], { encoding: 'utf8' });
    expect(gnu.status).toBe(0);
    expect(gnu.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('streams unknown-size entries into one gzip member, headers patched in place, that GNU gunzip, GNU tar, node-tar and the checksum agree on', async () => {
    const finalPath = path.join(dir, 'streamed.tar.gz');
    // Compressible (repetitive BSON-like) and incompressible content, several blocks each, with odd write sizes.
    const text = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `{"_id":"doc-${i}","life":"alive","n":${i % 97}}`).join('\n'));
    const noise = crypto.randomBytes(700_000);
    const w = await TarGzFileWriter.create({ finalPath, blockSize: 64 * 1024, level: 6 });
    await w.addDirectory('juju-backup');
    await w.addBuffer('juju-backup/metadata.json', Buffer.from('{"ID":"x"}\n'));
    const a = await w.openEntry('juju-backup/dump/juju/settings.bson');
    for (let off = 0; off < text.length; off += 7777) a.write(text.subarray(off, off + 7777));
    a.end();
    const b = await w.openEntry('juju-backup/dump/juju/noise.bson');
    b.end(noise);
    await w.addBuffer('juju-backup/dump/juju/settings.metadata.json', Buffer.from('{}'));
    const c = await w.openEntry('juju-backup/dump/oplog.bson');
    c.end(Buffer.alloc(0));
    const written = await w.finish();

    const file = await readFile(finalPath);
    expect(written.checksum).toBe(crypto.createHash('sha1').update(file).digest('base64'));
    expect(written.tarBytes).toBe(zlib.gunzipSync(file).length);
    // The compressible entry really was compressed (the whole archive is far smaller than its content).
    expect(file.length).toBeLessThan(text.length / 3 + noise.length + 10_000);
    expect(spawnSync('gunzip', ['-t', finalPath]).status).toBe(0);
    const gnu = spawnSync('tar', ['-tzf', finalPath], { encoding: 'utf8' });
    expect(gnu.status).toBe(0);
    expect(gnu.stdout.trim().split('\n')).toHaveLength(6);
    const entries = listTar(file);
    expect(entries.map((e) => e.path)).toEqual([
      'juju-backup/',
      'juju-backup/metadata.json',
      'juju-backup/dump/juju/settings.bson',
      'juju-backup/dump/juju/noise.bson',
      'juju-backup/dump/juju/settings.metadata.json',
      'juju-backup/dump/oplog.bson',
    ]);
    expect(entries[2]!.data.equals(text)).toBe(true);
    expect(entries[3]!.data.equals(noise)).toBe(true);
    expect(entries[5]!.size).toBe(0);
    // The project's own reader: checksum and members.
    expect((await checksumFile(finalPath)).checksum).toBe(written.checksum);
    expect(await readdir(dir)).toEqual(['streamed.tar.gz']);
  });

  it('handles names longer than ustar allows', async () => {
    const finalPath = path.join(dir, 'long.tar.gz');
    const longName = `juju-backup/dump/${'d'.repeat(120)}/${'c'.repeat(130)}.bson`;
    const w = await TarGzFileWriter.create({ finalPath });
    await w.addBuffer(longName, Buffer.from('x'));
    await w.finish();
    expect(listTar(await readFile(finalPath)).map((e) => e.path)).toEqual([longName]);
  });

  it('removes the partial file on abort and leaves nothing under the final name', async () => {
    const finalPath = path.join(dir, 'cancelled.tar.gz');
    const w = await TarGzFileWriter.create({ finalPath, blockSize: 64 * 1024 });
    await w.addBuffer('a', crypto.randomBytes(100_000));
    const entry = await w.openEntry('b');
    entry.write(crypto.randomBytes(50_000));
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
  });

  it('a second abort waits for the first one to remove the partial file', async () => {
    // The backup's cancel listener aborts without awaiting; the failure path then aborts again
    // and must not resolve (and report "cancelled") while the partial file still exists.
    const finalPath = path.join(dir, 'twice.tar.gz');
    const w = await TarGzFileWriter.create({ finalPath, blockSize: 64 * 1024 });
    await w.addBuffer('a', crypto.randomBytes(200_000));
    const entry = await w.openEntry('b');
    entry.write(crypto.randomBytes(50_000));
    void w.abort(new QuorumError('cancelled', 'cancelled by the operator'));
    await w.abort(new Error('the run failed because it was cancelled'));
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails when a known-size stream delivers fewer bytes, and cleans up', async () => {
    const finalPath = path.join(dir, 'short.tar.gz');
    const w = await TarGzFileWriter.create({ finalPath });
    const added = w.addStream('x', 10, Readable.from([Buffer.from('abc')]));
    await expect(added).rejects.toThrow(/ended after 3 of 10 bytes/);
    await expect(w.finish()).rejects.toBeInstanceOf(QuorumError);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses to overwrite an existing archive', async () => {
    const finalPath = path.join(dir, 'exists.tar.gz');
    const first = await TarGzFileWriter.create({ finalPath });
    await first.finish();
    await expect(TarGzFileWriter.create({ finalPath })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('opens entries in order: the next one once the previous has ended', async () => {
    const finalPath = path.join(dir, 'ordered.tar.gz');
    const w = await TarGzFileWriter.create({ finalPath });
    const s1 = await w.openEntry('one');
    let secondOpened = false;
    const second = w.openEntry('two').then((s) => {
      secondOpened = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(secondOpened).toBe(false); // the first entry is still being filled
    s1.end(Buffer.from('1'));
    (await second).end(Buffer.from('2'));
    await w.finish();
    expect(listTar(await readFile(finalPath)).map((e) => e.data.toString())).toEqual(['1', '2']);
  });
});
