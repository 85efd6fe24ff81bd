import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checksumFile } from '../services/archive/archive-reader';
import { NO_DOWNLOAD_WARNING } from '../../shared/backups/metadata';
import { SandboxLayout } from '../sandbox/layout';
import { launchSandboxProcess, type SandboxProcess } from '../sandbox/sandbox-client';
import { quorumRunner } from './testing/run-quorum';

/**
 * `quorum` end to end: the real bin/quorum.mjs (from the sources) in a
 * temporary QUORUM_HOME against the sandbox. The first command finds no
 * sandbox running and starts one for its duration; then a sandbox runs in
 * a child process, as the console runs it, and every later command
 * attaches to it. Every byte printed is kept and checked for agent.conf's
 * secrets at the end.
 */

const ID_LINE = /^\d{8}-\d{6}\.[0-9a-f-]{36}$/;

let root: string;
let home: string;
let work: string;
let noJuju: string;
let sandbox: SandboxProcess | undefined;
const quorum = quorumRunner(() => ({ root, home, jujuHome: noJuju, cwd: work }));
const printed = quorum.printed;

const blocks = (stdout: string) => stdout.split('backup ID:').length - 1;
const idsIn = (stdout: string) => [...stdout.matchAll(/^backup ID:\s+"([^"]+)"$/gm)].map((m) => m[1]!);

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'quorum-cli-'));
  home = path.join(root, 'home');
  work = path.join(root, 'work');
  noJuju = path.join(root, 'no-juju');
  await mkdir(work, { recursive: true });
});

afterAll(async () => {
  await sandbox?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('quorum against the sandbox', () => {
  it('with no Juju configuration and no sandbox running: starts the sandbox for the command, prints status, stops it', async () => {
    const r = await quorum(['status']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = parseYaml(r.stdout) as { environment: string; machines: Record<string, Record<string, string>>; quorum: { voting: number; holds: boolean; summary: string } };
    expect(doc.environment).toBe('sandbox');
    expect(Object.keys(doc.machines)).toEqual(['0', '1', '2']);
    for (const m of Object.values(doc.machines)) {
      expect(m['agent-state']).toBe('started');
      expect(m['state-server-member-status']).toBe('has-vote');
    }
    expect(doc.quorum).toMatchObject({ voting: 3, holds: true, summary: '3 of 3 voting members healthy — survives 1 failure' });
    const layout = new SandboxLayout(home);
    expect(existsSync(layout.lockFile)).toBe(false);
    expect(existsSync(layout.runningFile)).toBe(false);
  });

  it('attaches to a sandbox another process runs in the same QUORUM_HOME (json status), and leaves it running', async () => {
    sandbox = await launchSandboxProcess({ home });
    const layout = new SandboxLayout(home);
    const running = JSON.parse(await readFile(layout.runningFile, 'utf8')) as { pid: number; description: { machines: unknown[] } };
    expect(running.pid).toBe(sandbox.pid);
    expect((await stat(layout.runningFile)).mode & 0o777).toBe(0o600);
    const r = await quorum(['status', '-e', 'sandbox', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout) as { machines: Record<string, Record<string, string>>; quorum: { primary: string } };
    expect(Object.keys(doc.machines)).toHaveLength(3);
    expect(doc.quorum.primary).toBe('0');
    // Still the same sandbox, still serving.
    expect((await sandbox.describe()).machines.length).toBe(running.description.machines.length);
    expect(existsSync(layout.runningFile)).toBe(true);
  });

  let firstId = '';
  let quietId = '';

  it('backups create: metadata block, the ID, and the download to the default name', async () => {
    const r = await quorum(['backups', 'create', 'nightly']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(14);
    expect(lines[0]).toMatch(/^backup ID: {7}"/);
    expect(lines[7]).toBe('notes:           "nightly"');
    expect(lines[12]).toMatch(ID_LINE);
    firstId = lines[12]!;
    expect(lines[0]).toBe(`backup ID:       "${firstId}"`);
    const name = /^downloading to (juju-backup-\d{8}-\d{6}\.tar\.gz)$/.exec(lines[13]!)?.[1];
    expect(name).toBeDefined();
    expect((await stat(path.join(work, name!))).size).toBeGreaterThan(1000);
  });

  it('backups create --filename and --notes', async () => {
    const r = await quorum(['backups', 'create', '--filename', 'named.tar.gz', '--notes', 'by flag']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('notes:           "by flag"\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('downloading to named.tar.gz');
    expect(existsSync(path.join(work, 'named.tar.gz'))).toBe(true);
  });

  it('backups create --no-download: the warning on stderr, no file', async () => {
    const before = await readdir(work);
    const r = await quorum(['backups', 'create', '--no-download']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`WARNING: ${NO_DOWNLOAD_WARNING}\n`);
    expect(r.stdout).not.toContain('downloading to');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toMatch(ID_LINE);
    expect(await readdir(work)).toEqual(before);
  });

  it('backups create --quiet prints only the ID (and still downloads)', async () => {
    const before = (await readdir(work)).length;
    const r = await quorum(['backups', 'create', '--quiet', '--filename', 'quiet.tar.gz']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\d{8}-\d{6}\.[0-9a-f-]{36}\n$/);
    quietId = r.stdout.trim();
    expect((await readdir(work)).length).toBe(before + 1);
  });

  it('backups list: blocks separated by blank lines, oldest first; --brief the IDs', async () => {
    const full = await quorum(['backups', 'list']);
    expect(full.code).toBe(0);
    expect(blocks(full.stdout)).toBe(4);
    expect(full.stdout.split('\n\n')).toHaveLength(4);
    const brief = await quorum(['backups', 'list', '--brief']);
    expect(brief.stdout.trimEnd().split('\n')).toEqual(idsIn(full.stdout));
    expect(idsIn(full.stdout)[0]).toBe(firstId);
    expect(idsIn(full.stdout)).toContain(quietId);
  });

  it('backups info and download', async () => {
    const info = await quorum(['backups', 'info', firstId]);
    expect(info.code).toBe(0);
    expect(info.stdout.split('\n')).toHaveLength(13);
    expect(info.stdout).toContain('notes:           "nightly"');
    const checksum = /^checksum:\s+"([^"]+)"$/m.exec(info.stdout)![1]!;
    const dl = await quorum(['backups', 'download', firstId]);
    expect(dl.code).toBe(0);
    expect(dl.stdout).toBe(`juju-backup-${firstId}.tar.gz\n`);
    expect((await checksumFile(path.join(work, `juju-backup-${firstId}.tar.gz`))).checksum).toBe(checksum);
  });

  it('backups remove, then upload (default, --quiet, --verbose)', async () => {
    const file = `juju-backup-${firstId}.tar.gz`;
    const remove = async () => {
      const r = await quorum(['backups', 'remove', firstId]);
      expect(r).toMatchObject({ code: 0, stdout: `successfully removed: ${firstId}\n` });
    };
    await remove();
    const plain = await quorum(['backups', 'upload', file]);
    expect(plain.code).toBe(0);
    expect(idsIn(plain.stdout)).toEqual([firstId]);
    expect(plain.stdout).not.toContain('Uploaded metadata:');
    await remove();
    const quiet = await quorum(['backups', 'upload', '--quiet', file]);
    expect(quiet).toMatchObject({ code: 0, stdout: `${firstId}\n` });
    await remove();
    const verbose = await quorum(['backups', 'upload', file, '--verbose']);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout.startsWith('Uploaded metadata:\nbackup ID:')).toBe(true);
    expect(verbose.stdout).toContain('\n\nbackup ID:       ');
    expect(idsIn(verbose.stdout).at(-1)).toBe(firstId);
  });

  it('usage errors exit 2 with juju/cmd words; runtime errors exit 1 with ERROR', async () => {
    expect(await quorum(['backups', 'create', '--no-download', '--filename', 'x.tar.gz'])).toEqual({ code: 2, stdout: '', stderr: 'error: cannot mix --no-download and --filename\n' });
    expect(await quorum(['backups', 'info'])).toEqual({ code: 2, stdout: '', stderr: 'error: missing ID\n' });
    const missing = await quorum(['backups', 'info', '20000101-000000.00000000-0000-0000-0000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^ERROR No backup 20000101-000000\.0{8}-0{4}-0{4}-0{4}-0{12} on the state server/);
    expect((await quorum(['backups', 'upload', 'nothing-here.tar.gz'])).stderr).toBe('ERROR nothing-here.tar.gz is not a file\n');
  });

  it('backups prune keeps the newest and says why for each archive', async () => {
    const dry = await quorum(['backups', 'prune', '--keep', '1', '--dry-run']);
    expect(dry.code).toBe(0);
    const dryLines = dry.stdout.trimEnd().split('\n');
    expect(dryLines.filter((l) => l.startsWith('would remove local ')).length).toBeGreaterThanOrEqual(2);
    expect(dryLines.filter((l) => l.startsWith('kept local '))).toHaveLength(1);
    const before = await readdir(work);
    const real = await quorum(['backups', 'prune', '--keep', '1']);
    expect(real.code).toBe(0);
    const removed = real.stdout.split('\n').filter((l) => l.startsWith('removed local '));
    expect(removed.length).toBe(dryLines.filter((l) => l.startsWith('would remove local ')).length);
    expect((await readdir(work)).length).toBe(before.length - removed.length);
  });
  it("ensure-availability prints Juju's report lines: nothing for a no-op, the refusal to shrink, then 3 -> 5", async () => {
    expect(await quorum(['ensure-availability'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(await quorum(['ensure-availability', '-n', '4'])).toEqual({ code: 2, stdout: '', stderr: 'error: must specify a number of state servers odd and non-negative\n' });
    const shrink = await quorum(['ensure-availability', '-n', '1']);
    expect(shrink.code).toBe(1);
    expect(shrink.stderr).toMatch(/^ERROR .*failed to create new state server machines: cannot reduce state server count/);
    const grow = await quorum(['ensure-availability', '-n', '5']);
    expect(grow.stderr).toBe('');
    expect(grow.code).toBe(0);
    const lines = grow.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('maintaining machines: 0, 1, 2');
    expect(lines[1]).toMatch(/^adding machines: \d+, \d+$/);
    expect(lines).toHaveLength(2);
  });
});

describe('environment selection as Juju 1.x', () => {
  let jujuHome: string;
  beforeAll(async () => {
    jujuHome = path.join(root, 'juju');
    await mkdir(path.join(jujuHome, 'environments'), { recursive: true });
    // No ssh/juju_id_rsa: resolving either environment fails at once, naming it.
    await writeFile(path.join(jujuHome, 'environments', 'alpha.jenv'), 'user: admin\nstate-servers: ["127.0.0.2:17070"]\n');
    await writeFile(path.join(jujuHome, 'environments', 'beta.jenv'), 'user: admin\nstate-servers: ["127.0.0.3:17070"]\n');
  });

  it("with .jenv files but nothing chosen: Juju's 'no environment specified' (exit 2)", async () => {
    const r = await quorum(['backups', 'list'], { JUJU_HOME: jujuHome });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('error: no environment specified');
  });

  it('current-environment, then JUJU_ENV over it, then -e over both', async () => {
    await writeFile(path.join(jujuHome, 'current-environment'), 'beta\n');
    const current = await quorum(['status'], { JUJU_HOME: jujuHome });
    expect(current.code).toBe(1);
    expect(current.stderr).toMatch(/^ERROR No SSH key is known for beta:/);
    const fromEnv = await quorum(['status'], { JUJU_HOME: jujuHome, JUJU_ENV: 'alpha' });
    expect(fromEnv.stderr).toMatch(/^ERROR No SSH key is known for alpha:/);
    const flag = await quorum(['backups', 'list', '--brief', '-e', 'sandbox'], { JUJU_HOME: jujuHome, JUJU_ENV: 'alpha' });
    expect(flag.code).toBe(0);
    expect(flag.stdout.trimEnd().split('\n').every((l) => ID_LINE.test(l))).toBe(true);
    const unknown = await quorum(['status', '-e', 'gamma'], { JUJU_HOME: jujuHome });
    expect(unknown).toMatchObject({ code: 1, stderr: 'ERROR environment "gamma" not found\n' });
  });
});

describe('secrets', () => {
  it("no password from the sandbox's agent.conf or admin secret appears in anything printed", async () => {
    const layout = new SandboxLayout(home);
    const secrets: string[] = [];
    for (const id of ['0', '1', '2']) {
      const conf = await readFile(path.join(layout.machineRoot(id), 'var/lib/juju/agents', `machine-${id}`, 'agent.conf'), 'utf8');
      for (const m of conf.matchAll(/^(?:statepassword|apipassword|oldpassword|sharedsecret):\s*(\S+)\s*$/gm)) secrets.push(m[1]!.replace(/^"|"$/g, ''));
    }
    secrets.push((await readFile(path.join(layout.pkiDir, 'admin-password'), 'utf8')).trim());
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const all = printed.join('\n');
    expect(all.length).toBeGreaterThan(5000);
    for (const secret of secrets.filter((s) => s.length >= 8)) expect(all).not.toContain(secret);
  });
});
