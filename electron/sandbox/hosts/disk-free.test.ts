import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDfAvailable } from '../../../shared/remote-commands';
import { runCommand, type CommandContext } from './commands';
import { ConfinedFs } from './confined-fs';

/**
 * The disk-full fault control (SandboxControl.setDiskFree) as a machine's
 * commands see it: df reports at most the cap, and an upload past it fails
 * with `No space left on device`, leaving no file behind.
 */

let root: string;
let free: number | null = null;
let ctx: CommandContext;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-disk-free-'));
  await fs.mkdir(path.join(root, 'var/tmp'), { recursive: true });
  ctx = { fs: new ConfinedFs(root), services: {} as CommandContext['services'], diskFree: () => free };
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function run(cmd: Parameters<typeof runCommand>[0], stdin: Buffer = Buffer.alloc(0)) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const code = await runCommand(cmd, ctx, { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('sandbox disk-full fault', () => {
  it('df reports the real space without a cap and at most the cap with one', async () => {
    free = null;
    const real = parseDfAvailable((await run({ kind: 'free-space', path: '/var/tmp' })).stdout);
    expect(real).toBeGreaterThan(4096);
    free = 4096;
    expect(parseDfAvailable((await run({ kind: 'free-space', path: '/var/tmp' })).stdout)).toBe(4096);
  });

  it('an upload past the cap fails with No space left on device and leaves nothing; under it, it lands', async () => {
    const data = randomBytes(64 * 1024);
    const sha1 = createHash('sha1').update(data).digest('hex');
    free = 16 * 1024;
    const full = await run({ kind: 'upload-file', path: '/var/tmp/a.tar.gz', mode: 0o600, size: data.length, sha1 }, data);
    expect(full.code).not.toBe(0);
    expect(full.stderr).toMatch(/No space left on device/);
    expect(await fs.readdir(path.join(root, 'var/tmp'))).toEqual([]);
    free = null;
    const ok = await run({ kind: 'upload-file', path: '/var/tmp/a.tar.gz', mode: 0o600, size: data.length, sha1 }, data);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await fs.readFile(path.join(root, 'var/tmp/a.tar.gz'))).toEqual(data);
  });
});
