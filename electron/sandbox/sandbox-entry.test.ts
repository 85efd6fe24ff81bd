import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSandboxEntry } from './sandbox-client';

describe('the sandbox child entry', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is process.ts from sources, and the bundled sandbox-process.js beside the module or one level up from a chunk', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-entry-'));
    const chunks = path.join(dir, 'chunks');
    await mkdir(chunks);
    await writeFile(path.join(dir, 'sandbox-process.js'), '');
    expect(defaultSandboxEntry(dir)).toBe(path.join(dir, 'sandbox-process.js'));
    expect(defaultSandboxEntry(chunks)).toBe(path.join(dir, 'sandbox-process.js'));
    await writeFile(path.join(chunks, 'process.ts'), '');
    expect(defaultSandboxEntry(chunks)).toBe(path.join(chunks, 'process.ts'));
  });
});
