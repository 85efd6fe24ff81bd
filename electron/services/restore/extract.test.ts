import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractRootTarMembers } from '../archive/safe-extract';
import { extractForRestore } from './extract';
import { inspectBackup } from './inspect';
import { agentConf, tarOf, writeBackupFixture } from './testing/backup-fixture';
import { openTar, writeTarGz } from './testing/mutate';
import { rawTar } from './testing/raw-tar';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'restore-extract-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) out.push(path.relative(root, path.join(e.parentPath, e.name)) + (e.isDirectory() ? '/' : ''));
  return out.sort();
}

describe('extractForRestore', () => {
  it('by default writes only the origin machine\'s agent.conf, straight from the archive stream', async () => {
    const file = (await writeBackupFixture(path.join(dir, 'b.tar.gz'), { origin: { machine: '2' } })).path;
    const staging = path.join(dir, 'staging');
    const r = await extractForRestore(file, staging);
    expect(r.agentConf).toBe(path.join(staging, 'root/var/lib/juju/agents/machine-2/agent.conf'));
    expect(await readFile(r.agentConf!, 'utf8')).toBe(agentConf('2'));
    expect(await tree(staging)).toEqual(['root/', 'root/var/', 'root/var/lib/', 'root/var/lib/juju/', 'root/var/lib/juju/agents/', 'root/var/lib/juju/agents/machine-2/', 'root/var/lib/juju/agents/machine-2/agent.conf']);
    expect(r.files).toBe(1);
    expect(r.inspection.metadata?.machine).toBe('2');
  });

  it('with contents: full extracts the archive and root.tar under staging', async () => {
    const file = (await writeBackupFixture(path.join(dir, 'b.tar.gz'))).path;
    const staging = path.join(dir, 'staging');
    const r = await extractForRestore(file, staging, { contents: 'full' });
    expect(r.archiveDir).toBe(path.join(staging, 'archive/juju-backup'));
    expect(await readdir(r.archiveDir!)).toEqual(expect.arrayContaining(['metadata.json', 'root.tar', 'dump']));
    expect(await readdir(path.join(staging, 'root/var/lib/juju'))).toEqual(expect.arrayContaining(['server.pem', 'shared-secret', 'system-identity', 'agents']));
    expect(await readFile(r.agentConf!, 'utf8')).toBe(agentConf('0'));
  });

  it('refuses a hostile root.tar before writing anything, and leaves staging empty', async () => {
    const root = Buffer.concat([tarOf([{ name: 'var/lib/juju/agents/machine-0/agent.conf', data: agentConf('0') }]).subarray(0, 1024), rawTar([{ path: '../../escaped', data: 'pwned' }])]);
    const file = (await writeBackupFixture(path.join(dir, 'b.tar.gz'), { rootTar: root })).path;
    const staging = path.join(dir, 'staging');
    await expect(extractForRestore(file, staging, { contents: 'full' })).rejects.toMatchObject({ code: 'unsafe-path' });
    expect(await tree(dir)).toEqual(['b.tar.gz']);
  });

  it('refuses a staging folder that is not empty', async () => {
    const file = (await writeBackupFixture(path.join(dir, 'b.tar.gz'))).path;
    const staging = path.join(dir, 'staging');
    await mkdir(staging);
    await writeFile(path.join(staging, 'x'), '1');
    await expect(extractForRestore(file, staging)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('reports a root.tar without the agent.conf as null, not as a file', async () => {
    const file = (await writeBackupFixture(path.join(dir, 'b.tar.gz'), { rootFiles: [{ name: 'var/lib/juju/nonce.txt', data: 'n' }] })).path;
    const r = await extractForRestore(file, path.join(dir, 'staging'));
    expect(r.agentConf).toBeNull();
    expect(r.files).toBe(0);
  });

  it('reports the checksum of what the second pass read, so a file replaced since the inspection is caught', async () => {
    const file = (await writeBackupFixture(path.join(dir, 'b.tar.gz'))).path;
    const other = path.join(dir, 'other.tar.gz');
    await writeTarGz(other, await openTar(file));
    const staging = path.join(dir, 'staging');
    const inspection = await inspectBackup(file);
    // Same content, different bytes (recompressed): the second pass must notice.
    await writeFile(file, await readFile(other));
    const r = await extractRootTarMembers(file, 'juju-backup/root.tar', staging, () => true);
    expect(r.checksum).not.toBe(inspection.checksum);
  });
});
