import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confinedPath, resolveRendererFile } from './static-files';

let dir: string;
let root: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-static-'));
  root = path.join(dir, 'renderer');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), 'index');
  await writeFile(path.join(root, 'assets', 'a.js'), 'a');
  await writeFile(path.join(dir, 'outside.txt'), 'outside');
  await symlink(path.join(dir, 'outside.txt'), path.join(root, 'assets', 'escape.js'));
  await symlink(path.join(root, 'assets', 'a.js'), path.join(root, 'assets', 'inside.js'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderer file confinement', () => {
  it('refuses traversal in every encoding', () => {
    for (const p of ['/../x', '/a/../../x', '/%2e%2e/x', '/%2E%2E%2Fx', '/a\\..\\x', '/a%5c..%5cx', '/x%00.js', '/%']) {
      expect(confinedPath(root, p), p).toBeNull();
    }
    expect(confinedPath(root, '/assets/a.js')).toBe(path.join(root, 'assets', 'a.js'));
  });

  it('serves files, falls back to index.html for routes, and refuses symlinks that leave the folder', async () => {
    expect(await resolveRendererFile(root, '/assets/a.js')).toBe(path.join(root, 'assets', 'a.js'));
    expect(await resolveRendererFile(root, '/')).toBe(path.join(root, 'index.html'));
    expect(await resolveRendererFile(root, '/backups')).toBe(path.join(root, 'index.html'));
    expect(await resolveRendererFile(root, '/assets')).toBe(path.join(root, 'index.html'));
    expect(await resolveRendererFile(root, '/assets/missing.js')).toBeNull();
    expect(await resolveRendererFile(root, '/assets/escape.js')).toBeNull();
    expect(await resolveRendererFile(root, '/assets/inside.js')).toBe(path.join(root, 'assets', 'a.js'));
  });
});
