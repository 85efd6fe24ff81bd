import crypto from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArchiveOutput } from './archive-output';

/**
 * The output stage on its own: chunks written in order, a placeholder range
 * patched before, during or after its bytes arrive, and the SHA-1 always
 * over the final bytes (read back from the file when it had to wait).
 */

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'archive-output-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Across the boundary of two 64 KiB chunks, so 'during' has received only its first 100 bytes.
const HOLE = { offset: 11 * 64 * 1024 - 100, length: 512 };

/** Final content, and the same with the hole's bytes zeroed (what passes before the patch). */
function content(size: number): { final: Buffer; placeholder: Buffer; patch: Buffer } {
  const final = crypto.randomBytes(size);
  const placeholder = Buffer.from(final);
  placeholder.fill(0, HOLE.offset, HOLE.offset + HOLE.length);
  return { final, placeholder, patch: Buffer.from(final.subarray(HOLE.offset, HOLE.offset + HOLE.length)) };
}

function write(out: ArchiveOutput, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => out.write(Buffer.from(chunk), (error) => (error ? reject(error) : resolve())));
}

function end(out: ArchiveOutput): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end((error?: Error | null) => (error ? reject(error) : resolve()));
  });
}

async function run(patchAt: 'before' | 'during' | 'after'): Promise<void> {
  const file = path.join(dir, `${patchAt}.bin`);
  const out = new ArchiveOutput(await open(file, 'wx+', 0o600));
  const { final, placeholder, patch } = content(3 * 1024 * 1024 + 123);
  out.reserve(HOLE.offset, HOLE.length);
  const size = 64 * 1024;
  let patched: Promise<void> | null = null;
  for (let off = 0; off < placeholder.length; off += size) {
    if (patchAt === 'before' && patched === null) patched = out.patch(HOLE.offset, patch);
    await write(out, placeholder.subarray(off, off + size));
    // 'during': the chunk holding the hole's first bytes was received, the rest not yet.
    if (patchAt === 'during' && patched === null && off + size > HOLE.offset) patched = out.patch(HOLE.offset, patch);
  }
  if (patchAt === 'after') patched = out.patch(HOLE.offset, patch);
  await patched;
  await end(out);
  expect((await readFile(file)).equals(final)).toBe(true);
  expect(out.checksum).toBe(crypto.createHash('sha1').update(final).digest('base64'));
}

describe('ArchiveOutput', () => {
  it('patches a range after its bytes and later ones were written, hashing the final bytes read back', () => run('after'));
  it('patches a range before its bytes arrive', () => run('before'));
  it('patches a range whose bytes arrived only in part', () => run('during'));

  it('refuses a patch that matches no reserved range', async () => {
    const out = new ArchiveOutput(await open(path.join(dir, 'x.bin'), 'wx+'));
    out.reserve(100, 512);
    expect(() => out.patch(101, Buffer.alloc(512))).toThrow(/no reserved range/);
    expect(() => out.patch(100, Buffer.alloc(511))).toThrow(/no reserved range/);
    out.destroy();
  });

  it('fails to finish while a reserved range is not patched', async () => {
    const out = new ArchiveOutput(await open(path.join(dir, 'y.bin'), 'wx+'));
    out.reserve(10, 512);
    await write(out, Buffer.alloc(4096));
    await expect(end(out)).rejects.toThrow(/not patched/);
  });
});
