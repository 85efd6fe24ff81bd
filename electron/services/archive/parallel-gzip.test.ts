import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import { DeflatePool, type DeflateJob } from './deflate-pool';
import { createParallelGzip, type ParallelGzipOptions } from './parallel-gzip';

/** A pool that records the strategy of every block it compresses. */
class RecordingPool extends DeflatePool {
  readonly strategies: boolean[] = [];
  override deflate(job: DeflateJob, transfer?: boolean, recycle?: (block: Buffer) => void): Promise<Buffer> {
    this.strategies.push(job.huffmanOnly === true);
    return super.deflate(job, transfer, recycle);
  }
}

async function gzipAll(chunks: readonly Buffer[], options: ParallelGzipOptions = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    createParallelGzip(options),
    new Writable({
      write(c: Buffer, _e, cb) {
        out.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

function compressible(size: number): Buffer {
  const words = ['juju', 'machine', 'state-server', 'has-vote', 'replica', '37017', 'mongod', '\n'];
  const parts: string[] = [];
  let n = 0;
  let seed = 7;
  while (n < size) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const w = `${words[seed % words.length]!}-${(seed >>> 8) % 5000}`;
    parts.push(w, ' ');
    n += w.length + 1;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

function chunked(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

describe('parallel gzip', () => {
  it('round-trips random data byte for byte across many blocks', async () => {
    const data = crypto.randomBytes(1_300_000);
    const gz = await gzipAll(chunked(data, 77_777), { blockSize: 64 * 1024, workers: 2 });
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
  });

  it('round-trips compressible data and compresses like gzip does', async () => {
    const data = compressible(3_000_000);
    const gz = await gzipAll(chunked(data, 10_000), { blockSize: 128 * 1024 });
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
    const reference = zlib.gzipSync(data).length;
    // Dictionaries keep the ratio within a few percent of single-stream gzip.
    expect(gz.length).toBeLessThan(reference * 1.05);
    expect(gz.length).toBeLessThan(data.length / 2);
  });

  it('Huffman-codes blocks LZ77 cannot shrink, and goes back to matching when the content compresses again', async () => {
    const block = 64 * 1024;
    // base64 of random bytes (keys, certificates in charm config), then BSON-like text.
    const random = Buffer.from(crypto.randomBytes(24 * block).toString('base64')).subarray(0, 32 * block);
    const text = compressible(32 * block);
    const pool = new RecordingPool(2);
    const gz = await gzipAll(chunked(Buffer.concat([random, text]), 50_000), { blockSize: block, level: 1, pool });
    expect(zlib.gunzipSync(gz).equals(Buffer.concat([random, text]))).toBe(true);
    const strategies = pool.strategies;
    expect(strategies).toHaveLength(64 + 1); // 64 full blocks and the final (empty) one
    // Most random blocks skipped the match search; the text's last blocks were matched again.
    expect(strategies.slice(0, 32).filter(Boolean).length).toBeGreaterThan(20);
    expect(strategies.slice(56)).not.toContain(true);
    // Random base64 still shrinks to about 6 bits a character; the text compresses as usual.
    const textAlone = (await gzipAll(chunked(text, 50_000), { blockSize: block, level: 1 })).length;
    expect(gz.length).toBeLessThan(random.length * 0.77 + textAlone * 1.1);
    await pool.close();
  });

  it('writes one gzip member with the CRC32 and ISIZE of the input', async () => {
    const data = compressible(200_000);
    const gz = await gzipAll([data], { level: 9 });
    expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    expect(gz[8]).toBe(2); // XFL: maximum compression
    expect(gz.readUInt32LE(gz.length - 8)).toBe(zlib.crc32(data) >>> 0);
    expect(gz.readUInt32LE(gz.length - 4)).toBe(data.length);
  });

  it('handles empty input and input that is an exact multiple of the block size', async () => {
    expect(zlib.gunzipSync(await gzipAll([])).length).toBe(0);
    const data = crypto.randomBytes(4 * 64 * 1024);
    expect(zlib.gunzipSync(await gzipAll([data], { blockSize: 64 * 1024 })).equals(data)).toBe(true);
  });

  it.each([0, 1, 9])('works at level %i', async (level) => {
    const data = compressible(500_000);
    const gz = await gzipAll([data], { level, blockSize: 64 * 1024 });
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
  });

  it('rejects an invalid level', () => {
    expect(() => createParallelGzip({ level: 10 })).toThrow(RangeError);
  });

  it('is accepted by GNU gunzip', async () => {
    const data = Buffer.concat([compressible(700_000), crypto.randomBytes(300_000)]);
    const gz = await gzipAll([data], { blockSize: 64 * 1024 });
    const child = spawn('gunzip', ['-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.end(gz);
    expect(await exit).toBe(0);
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });

  it("is read by the tar package's reader", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pgz-'));
    try {
      await mkdir(path.join(dir, 'src', 'sub'), { recursive: true });
      await writeFile(path.join(dir, 'src', 'a.txt'), compressible(150_000));
      await writeFile(path.join(dir, 'src', 'sub', 'b.bin'), crypto.randomBytes(90_000));
      const gz: Buffer[] = [];
      await pipeline(
        tar.c({ cwd: dir, portable: true }, ['src']) as unknown as Readable,
        createParallelGzip({ blockSize: 64 * 1024 }),
        new Writable({
          write(c: Buffer, _e, cb) {
            gz.push(c);
            cb();
          },
        }),
      );
      const seen: Array<[string, number]> = [];
      const parser = new tar.Parser({ onReadEntry: (e) => { seen.push([e.path, e.size]); e.resume(); } });
      await pipeline(Readable.from([Buffer.concat(gz)]), parser as unknown as Writable);
      expect(seen).toEqual(
        expect.arrayContaining([
          ['src/a.txt', 150_000],
          ['src/sub/b.bin', 90_000],
        ]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('applies backpressure: an unread stream stops accepting input', async () => {
    const blockSize = 64 * 1024;
    const gz = createParallelGzip({ blockSize, workers: 2, maxInFlight: 3, level: 0 });
    const source = new PassThrough();
    source.pipe(gz);
    const block = crypto.randomBytes(blockSize);
    let written = 0;
    for (let i = 0; i < 200; i++) {
      if (!source.write(block)) break;
      written++;
    }
    await new Promise((r) => setTimeout(r, 300));
    // Nobody reads gz: accepted input must stay within a few blocks plus stream buffers.
    expect(gz.bytesIn).toBeLessThan(12 * blockSize);
    expect(written).toBeLessThan(200);
    gz.destroy();
    source.destroy();
  });
});
