import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfinedFs, PathEscapeError } from './confined-fs';
import { globInTree } from './glob';

let base: string;
let cfs: ConfinedFs;

beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-cfs-'));
  const root = path.join(base, 'root');
  await fs.mkdir(path.join(root, 'var/lib/juju/agents/machine-0'), { recursive: true });
  await fs.mkdir(path.join(root, 'var/lib/juju/agents/unit-mysql-0'), { recursive: true });
  await fs.writeFile(path.join(root, 'var/lib/juju/agents/machine-0/agent.conf'), 'x');
  await fs.writeFile(path.join(root, 'var/lib/juju/.hidden'), 'x');
  await fs.writeFile(path.join(base, 'outside'), 'secret');
  await fs.symlink('machine-0', path.join(root, 'var/lib/juju/agents/alias'));
  await fs.symlink('../../../../outside', path.join(root, 'var/lib/juju/rel-out'));
  await fs.symlink(base, path.join(root, 'var/lib/juju/abs-out'));
  await fs.symlink('nowhere/../../../../../outside-new', path.join(root, 'var/lib/juju/dangling-out'));
  cfs = new ConfinedFs(root);
});

afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

describe('ConfinedFs', () => {
  it('maps remote paths under the root', async () => {
    expect(await cfs.resolve('/var/lib/juju/agents/machine-0/agent.conf')).toBe(path.join(cfs.root, 'var/lib/juju/agents/machine-0/agent.conf'));
    expect(await cfs.resolve('/var/lib/juju/agents/alias/agent.conf')).toBe(path.join(cfs.root, 'var/lib/juju/agents/alias/agent.conf'));
    expect(await cfs.resolve('/var/lib/juju/not-yet')).toBe(path.join(cfs.root, 'var/lib/juju/not-yet'));
    expect(cfs.remotePath(path.join(cfs.root, 'etc/hosts'))).toBe('/etc/hosts');
  });

  it('refuses .. and relative paths', async () => {
    for (const p of ['/var/../../etc/passwd', 'var/lib', '/..', '/var/lib/juju/\0x']) {
      await expect(cfs.resolve(p), p).rejects.toBeInstanceOf(PathEscapeError);
    }
  });

  it('refuses symlinks that lead out of the tree, relative, absolute or dangling', async () => {
    for (const p of ['/var/lib/juju/rel-out', '/var/lib/juju/abs-out/outside', '/var/lib/juju/abs-out/new-file', '/var/lib/juju/dangling-out']) {
      await expect(cfs.resolve(p), p).rejects.toBeInstanceOf(PathEscapeError);
    }
    // The link itself (not followed) is inside the tree: it may be replaced or archived as a link.
    expect(await cfs.resolve('/var/lib/juju/rel-out', 'nofollow')).toBe(path.join(cfs.root, 'var/lib/juju/rel-out'));
    await expect(cfs.resolve('/var/lib/juju/abs-out/x', 'nofollow')).rejects.toBeInstanceOf(PathEscapeError);
  });

  it('globs like sh: one segment per star, no dotfiles, links out of the tree dropped', async () => {
    expect(await globInTree('/var/lib/juju/agents/*', cfs)).toEqual([
      '/var/lib/juju/agents/alias',
      '/var/lib/juju/agents/machine-0',
      '/var/lib/juju/agents/unit-mysql-0',
    ]);
    expect(await globInTree('/var/lib/juju/agents/machine-?', cfs)).toEqual(['/var/lib/juju/agents/machine-0']);
    expect(await globInTree('/var/lib/juju/*', cfs)).toEqual(['/var/lib/juju/agents']);
    expect(await globInTree('/var/lib/juju/.h*', cfs)).toEqual(['/var/lib/juju/.hidden']);
    expect(await globInTree('/var/lib/*/agents/*/agent.conf', cfs)).toEqual([
      '/var/lib/juju/agents/alias/agent.conf',
      '/var/lib/juju/agents/machine-0/agent.conf',
    ]);
    expect(await globInTree('/var/lib/juju/nonce.txt', cfs)).toEqual([]);
  });
});
