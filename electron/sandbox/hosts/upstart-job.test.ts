import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../shared/remote-commands';
import { upstartJobOf } from '../../../shared/juju/upstart-job';
import { runCommand } from './commands';
import { ConfinedFs } from './confined-fs';
import { MachineServices } from './services';

describe('upstartJobOf: which job an /etc/init file defines', () => {
  it('Juju agent jobs only', () => {
    expect(upstartJobOf('/etc/init/jujud-machine-0.conf')).toBe('jujud-machine-0');
    expect(upstartJobOf('/etc/init/jujud-machine-12.conf')).toBe('jujud-machine-12');
    expect(upstartJobOf('/etc/init/jujud-unit-mysql-0.conf')).toBe('jujud-unit-mysql-0');
    for (const other of ['/etc/init/juju-db.conf', '/etc/init/jujud-machine-0.override', '/etc/init/sub/jujud-machine-0.conf', '/tmp/jujud-machine-0.conf', '/etc/init/jujud-machine-01.conf']) {
      expect(upstartJobOf(other)).toBeNull();
    }
  });
});

/**
 * upstart watches /etc/init (inotify): writing `<job>.conf` there through the
 * sandbox's write-file makes the job known, stopped until started.
 */
describe('write-file into /etc/init on a sandbox machine', () => {
  let base: string;
  let root: string;
  let services: MachineServices;

  beforeEach(async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-upstart-'));
    root = path.join(base, 'root');
    await fs.mkdir(path.join(root, 'etc/init'), { recursive: true });
    // A host bootstrapped as machine 5: only its own agent job.
    services = new MachineServices(['jujud-machine-5'], undefined);
  });

  afterEach(async () => {
    await fs.rm(base, { recursive: true, force: true });
  });

  async function exec(cmd: RemoteCommand, stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const code = await runCommand(cmd, { fs: new ConfinedFs(root), services, jujuDbDir: path.join(base, 'db') }, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr });
    return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  const status = (job: 'jujud-machine-0' | 'jujud-unit-mysql-0') => exec({ kind: 'service', service: job, action: 'status' });

  it('a machine agent job file makes the job known and stopped; start then runs it', async () => {
    expect(await status('jujud-machine-0')).toEqual({ code: 1, stdout: '', stderr: 'jujud-machine-0: unrecognized service\n' });
    const written = await exec({ kind: 'write-file', path: '/etc/init/jujud-machine-0.conf', mode: 0o644 }, 'description "juju agent for machine-0"\n');
    expect(written.code).toBe(0);
    expect(await fs.readFile(path.join(root, 'etc/init/jujud-machine-0.conf'), 'utf8')).toBe('description "juju agent for machine-0"\n');
    expect((await fs.stat(path.join(root, 'etc/init/jujud-machine-0.conf'))).mode & 0o777).toBe(0o644);
    expect(services.known()).toEqual(['jujud-machine-5', 'jujud-machine-0']);
    expect(await status('jujud-machine-0')).toEqual({ code: 0, stdout: 'jujud-machine-0 stop/waiting\n', stderr: '' });
    const started = await exec({ kind: 'service', service: 'jujud-machine-0', action: 'start' });
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/^jujud-machine-0 start\/running, process \d+\n$/);
    expect(services.isRunning('jujud-machine-0')).toBe(true);
    // Rewriting the file of a running job leaves it running (upstart reloads the definition only).
    expect((await exec({ kind: 'write-file', path: '/etc/init/jujud-machine-0.conf', mode: 0o644 }, 'x\n')).code).toBe(0);
    expect(services.isRunning('jujud-machine-0')).toBe(true);
  });

  it('a unit agent job counts too', async () => {
    expect((await exec({ kind: 'write-file', path: '/etc/init/jujud-unit-mysql-0.conf', mode: 0o644 }, 'x\n')).code).toBe(0);
    expect(await status('jujud-unit-mysql-0')).toEqual({ code: 0, stdout: 'jujud-unit-mysql-0 stop/waiting\n', stderr: '' });
  });

  it('other files, and a write that failed, add no job', async () => {
    for (const p of ['/etc/init/juju-db.conf', '/etc/init/jujud-machine-0.override', '/var/tmp/jujud-machine-0.conf']) {
      await fs.mkdir(path.join(root, path.dirname(p)), { recursive: true });
      expect((await exec({ kind: 'write-file', path: p, mode: 0o644 }, 'manual\n')).code).toBe(0);
    }
    await fs.rm(path.join(root, 'etc/init'), { recursive: true });
    const failed = await exec({ kind: 'write-file', path: '/etc/init/jujud-machine-0.conf', mode: 0o644 }, 'x\n');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/No such file or directory/);
    expect(services.known()).toEqual(['jujud-machine-5']);
  });
});
