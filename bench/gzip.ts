/**
 * Gzip throughput on the same data: Quorum's parallel gzip (at a few levels)
 * against Node's single-threaded `zlib.createGzip`, GNU `gzip` and `pigz`.
 * Run: `npx tsx bench/gzip.ts [MB]`. The data mixes compressible text, BSON-like
 * records and random bytes, roughly what a state server's backup holds.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { createParallelGzip } from '../electron/services/archive/parallel-gzip';

function mixedChunk(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  let s = seed;
  while (off < size) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const kind = s % 10;
    if (kind < 6) {
      const line = `{"_id":"machine-${s % 997}","life":${s % 3},"jobs":["JobHostUnits"],"series":"trusty","nonce":"${(s >>> 4).toString(16)}"}\n`;
      off += out.write(line, off);
    } else if (kind < 9) {
      const n = Math.min(size - off, 64 + (s % 512));
      crypto.randomFillSync(out, off, n);
      out.fill(0, off, off + (n >> 1));
      off += n;
    } else {
      const n = Math.min(size - off, 256);
      crypto.randomFillSync(out, off, n);
      off += n;
    }
  }
  return out;
}

/** Writes `mb` megabytes of mixed data into `file`. */
export async function writeMixedData(file: string, mb: number): Promise<void> {
  const ws = createWriteStream(file);
  for (let i = 0; i < mb; i++) {
    if (!ws.write(mixedChunk(1024 * 1024, i + 1))) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

function sink(): Writable & { bytes: number } {
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      w.bytes += c.length;
      cb();
    },
  }) as Writable & { bytes: number };
  w.bytes = 0;
  return w;
}

async function timeNode(file: string, make: () => NodeJS.ReadWriteStream): Promise<{ s: number; out: number }> {
  const t0 = performance.now();
  const out = sink();
  await pipeline(createReadStream(file, { highWaterMark: 1024 * 1024 }), make(), out);
  return { s: (performance.now() - t0) / 1000, out: out.bytes };
}

async function timeCommand(file: string, cmd: string, args: string[]): Promise<{ s: number; out: number } | null> {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) return null;
  const t0 = performance.now();
  const child = spawn(cmd, [...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = sink();
  const done = new Promise<number | null>((r) => child.on('close', r));
  await Promise.all([pipeline(createReadStream(file), child.stdin), pipeline(child.stdout, out)]);
  await done;
  return { s: (performance.now() - t0) / 1000, out: out.bytes };
}

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? 200);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-gzip-bench-'));
  const file = path.join(dir, 'data.bin');
  try {
    await writeMixedData(file, mb);
    const size = (await stat(file)).size;
    const rows: Array<[string, { s: number; out: number } | null]> = [];
    for (const level of [1, 3, 6]) {
      rows.push([`parallel gzip -${level} (${os.availableParallelism()} workers)`, await timeNode(file, () => createParallelGzip({ level }))]);
    }
    rows.push(['zlib.createGzip -6', await timeNode(file, () => zlib.createGzip({ level: 6 }))]);
    rows.push(['zlib.createGzip -1', await timeNode(file, () => zlib.createGzip({ level: 1 }))]);
    rows.push(['GNU gzip -6', await timeCommand(file, 'gzip', ['-6', '-c'])]);
    rows.push(['pigz -6', await timeCommand(file, 'pigz', ['-6', '-c'])]);
    rows.push(['pigz -1', await timeCommand(file, 'pigz', ['-1', '-c'])]);
    console.log(`input: ${(size / 1e6).toFixed(1)} MB`);
    for (const [name, r] of rows) {
      if (!r) console.log(`${name.padEnd(36)} not installed`);
      else console.log(`${name.padEnd(36)} ${(size / 1e6 / r.s).toFixed(1).padStart(7)} MB/s  ratio ${(r.out / size).toFixed(3)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
