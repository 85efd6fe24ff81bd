import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESTORE_STEP_TITLES } from '../../shared/ipc/channels/restore';
import { SandboxLayout } from '../sandbox/layout';
import { launchSandboxProcess, type SandboxProcess } from '../sandbox/sandbox-client';
import { BOOTSTRAP_WITH_ID, BOTH, NEITHER } from './commands/backups-restore';
import { quorumRunner } from './testing/run-quorum';

/**
 * `quorum backups restore` end to end: the real bin against a sandbox this
 * test runs (so it can power machines off and bootstrap the replacement, as
 * an operator does on their cloud), restoring onto the host named with
 * --to — the path an operator takes on a real environment.
 */

let root: string;
let home: string;
let work: string;
let sandbox: SandboxProcess;
let sandboxStopped = false;
const quorum = quorumRunner(() => ({ root, home, jujuHome: path.join(root, 'no-juju'), cwd: work }), 300_000);
const ID_LINE = /^\d{8}-\d{6}\.[0-9a-f-]{36}$/;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'quorum-cli-restore-'));
  home = path.join(root, 'home');
  work = path.join(root, 'work');
  await mkdir(work, { recursive: true });
});

afterAll(async () => {
  if (!sandboxStopped) await sandbox?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('quorum backups restore', () => {
  it("refuses Juju's invalid combinations before anything starts (exit 2, Juju's words)", async () => {
    for (const [args, message] of [
      [[], NEITHER],
      [['--file', 'a.tar.gz', '--id', '20261204-101010.0b0c0d0e-0000-4000-8000-000000000000'], BOTH],
      [['--id', '20261204-101010.0b0c0d0e-0000-4000-8000-000000000000', '-b'], BOOTSTRAP_WITH_ID],
      [['--file', 'a.tar.gz', '--ssh-port', '2222'], '--ssh-port needs --to'],
    ] as const) {
      const r = await quorum(['backups', 'restore', ...args]);
      expect(r).toEqual({ code: 2, stdout: '', stderr: `error: ${message}\n` });
    }
    // Nothing was started for a usage error.
    expect(await readFile(new SandboxLayout(home).lockFile, 'utf8').catch(() => null)).toBeNull();
  });

  let backupId = '';

  it('refuses while the backup\'s machine is up: the checklist, then ERROR with Juju\'s refusal (exit 1)', async () => {
    sandbox = await launchSandboxProcess({ home });
    const created = await quorum(['backups', 'create', '--quiet', '--filename', 'before.tar.gz']);
    expect(created.code).toBe(0);
    backupId = created.stdout.trim();
    expect(backupId).toMatch(ID_LINE);

    const origin = (await sandbox.describe()).machines.find((m) => m.id === '0')!;
    const r = await quorum(['backups', 'restore', '--file', 'before.tar.gz', '--to', origin.address]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('checking the restore:');
    expect(lines[1]).toMatch(/^ {2}ok {4}The archive can be restored: ./);
    expect(r.stderr).toContain(`FAIL  The initial state server (machine 0) is not up: old bootstrap instance "${origin.instanceId}" still seems to exist; will not replace`);
    expect(r.stderr).toContain('(add --confirm-environment sandbox to go ahead)');
    expect(lines.at(-1)).toMatch(/^ERROR cannot restore: old bootstrap instance ".*" still seems to exist; will not replace/);
    // Nothing changed: still three voting state servers.
    const status = JSON.parse((await quorum(['status', '--format', 'json'])).stdout) as { quorum: { voting: number } };
    expect(status.quorum.voting).toBe(3);
  });

  let replacement: { id: string; address: string; instanceId: string };

  it('--id with the origin down and two state servers still voting: the copy is fetched from one that answers, and the restore is refused until the environment name is typed', async () => {
    await sandbox.powerOff('0');
    // The operator bootstrapped a fresh instance (a new address, as a cloud gives) to restore onto.
    replacement = await sandbox.addMachine({ jobs: ['JobManageEnviron', 'JobHostUnits'] });
    expect(replacement.address).not.toBe((await sandbox.describe()).machines.find((m) => m.id === '0')!.address);

    const r = await quorum(['backups', 'restore', '--id', backupId, '--to', replacement.address]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ok {4}The archive can be restored: /);
    expect(r.stderr).toMatch(/ok {4}The initial state server \(machine 0\) is not up: Neither SSH nor juju-db answers on machine 0\./);
    expect(r.stderr).toContain(`ok    The replacement state server answers: ${replacement.address} answers over SSH.`);
    expect(r.stderr).toMatch(/FAIL {2}No state server still has a vote: State server machines 1, 2 still have a vote\..*\(add --confirm-environment sandbox to go ahead\)/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^ERROR cannot restore: State server machines 1, 2 still have a vote\..*\(add --confirm-environment sandbox to go ahead\)$/);
  });

  it('--to the host the operator bootstrapped, confirmed: the others taken offline, the agent job installed, one voting state server at the new address', async () => {
    const r = await quorum(['backups', 'restore', '--file', 'before.tar.gz', '--to', replacement.address, '--confirm-environment', 'sandbox']);
    expect(r.stderr).not.toMatch(/^ERROR/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`restore from "${path.join(work, 'before.tar.gz')}" completed\n`);
    expect(r.stderr).toContain(`  using the freshly bootstrapped host ${replacement.address} named by the operator`);
    expect(r.stderr).toContain("  taking the remaining state servers 1, 2 offline, as Juju's restore does");
    // The host was bootstrapped as another machine: it gets the backup machine's agent job, as 1.25 installs it.
    expect(r.stderr).toContain('  $ write /etc/init/jujud-machine-0.conf');
    expect(r.stderr).toContain('  installed upstart job jujud-machine-0: this host had none (the backup is from machine 0)');
    // Machine 0 is now the instance the operator bootstrapped, as 1.25's restore records it.
    expect(r.stderr).toContain(`  machine 0: instanceid ${replacement.instanceId}, address ${replacement.address}; removed state servers 1, 2`);
    const status = await quorum(['status', '--format', 'json']);
    const doc = JSON.parse(status.stdout) as { machines: Record<string, Record<string, string>>; quorum: { voting: number } };
    const stateServers = Object.entries(doc.machines).filter(([, m]) => m['state-server-member-status'] !== undefined);
    expect(stateServers.map(([id, m]) => [id, m['state-server-member-status'], m['dns-name']])).toEqual([['0', 'has-vote', replacement.address]]);
    expect(doc.quorum.voting).toBe(1);
  });

  it('-b while another process runs the sandbox: says that process must make the replacement, before any check', async () => {
    const r = await quorum(['backups', 'restore', '-b', '--file', 'before.tar.gz']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `ERROR the sandbox is run by another process (the console or npm run sandbox, pid ${sandbox.pid}), so this command cannot start the replacement machine: restore from the console's Restore page, or close it and run the command again\n`,
    });
  });

  it('-b --file with every state server down and no console running: the command starts the sandbox, which makes the replacement; every step printed; one voting state server after', async () => {
    const layout = new SandboxLayout(home);
    // Collect the secrets now: the restore replaces machine 0's tree with the backup's.
    secrets.push(...(await agentSecrets(layout)));
    for (const id of ['1', '2', replacement.id]) await sandbox.powerOff(id);
    // Power states are kept: the command's own sandbox starts with every state server still down.
    await sandbox.stop();
    sandboxStopped = true;
    const r = await quorum(['backups', 'restore', '-b', '--file', 'before.tar.gz']);
    expect(r.stderr).not.toMatch(/^ERROR/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`restore from "${path.join(work, 'before.tar.gz')}" completed\n`);
    // The checklist, then every step under the seed's own line, in order, then the summary.
    expect(r.stderr).toMatch(/ok {4}No state server still has a vote: /);
    const titles = r.stderr.split('\n').filter((l) => (Object.values(RESTORE_STEP_TITLES) as string[]).includes(l));
    expect(titles).toEqual(Object.values(RESTORE_STEP_TITLES));
    expect(r.stderr).toContain('  Starting new instance for initial state server');
    expect(r.stderr).toMatch(/^ {2}\$ mongorestore --drop --journal --oplogReplay /m);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^The environment now has a single state server \(machine 0 at 10\.23\.0\.10\)\./);
    expect(existsSync(layout.lockFile)).toBe(false);

    const status = await quorum(['status', '--format', 'json']);
    expect(status.code).toBe(0);
    const doc = JSON.parse(status.stdout) as { machines: Record<string, Record<string, string>>; quorum: { voting: number } };
    const stateServers = Object.entries(doc.machines).filter(([, m]) => m['state-server-member-status'] !== undefined);
    expect(stateServers.map(([id, m]) => [id, m['state-server-member-status']])).toEqual([['0', 'has-vote']]);
    expect(doc.quorum.voting).toBe(1);
  });

  it("printed no password from any agent.conf (the backup's included) or the admin secret", async () => {
    secrets.push(...(await agentSecrets(new SandboxLayout(home))));
    expect(secrets.length).toBeGreaterThanOrEqual(12);
    const all = quorum.printed.join('\n');
    expect(all.length).toBeGreaterThan(3000);
    for (const secret of secrets.filter((s) => s.length >= 8)) expect(all).not.toContain(secret);
  });
});

const secrets: string[] = [];

async function agentSecrets(layout: SandboxLayout): Promise<string[]> {
  const found: string[] = [];
  for (const id of ['0', '1', '2']) {
    const conf = await readFile(path.join(layout.machineRoot(id), 'var/lib/juju/agents', `machine-${id}`, 'agent.conf'), 'utf8').catch(() => '');
    for (const m of conf.matchAll(/^(?:statepassword|apipassword|oldpassword|sharedsecret):\s*(\S+)\s*$/gm)) found.push(m[1]!.replace(/^"|"$/g, ''));
  }
  found.push((await readFile(path.join(layout.pkiDir, 'admin-password'), 'utf8')).trim());
  return found;
}

describe('quorum backups restore with state servers still running', () => {
  let votesHome: string;
  const run = quorumRunner(() => ({ root, home: votesHome, jujuHome: path.join(root, 'no-juju'), cwd: work }), 300_000);

  it('--confirm-environment: takes the remaining state servers offline (stopped, manual at boot) before the replacement comes up, and the environment stays restored after a restart', async () => {
    votesHome = path.join(root, 'votes-home');
    const owned = await launchSandboxProcess({ home: votesHome });
    try {
      expect((await run(['backups', 'create', '--quiet', '--filename', 'votes.tar.gz'])).code).toBe(0);
      await owned.powerOff('0');
    } finally {
      await owned.stop();
    }
    const r = await run(['backups', 'restore', '-b', '--file', 'votes.tar.gz', '--confirm-environment', 'sandbox']);
    expect(r.stderr).not.toMatch(/^ERROR/m);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warn {2}No state server still has a vote: State server machines 1, 2 still have a vote\..*You typed the environment name to go ahead\./);
    const lines = r.stderr.split('\n');
    const from = lines.indexOf("  taking the remaining state servers 1, 2 offline, as Juju's restore does");
    expect(from).toBeGreaterThan(lines.indexOf('re-bootstrapping environment'));
    expect(lines.slice(from + 1, from + 11)).toEqual([
      '  $ service jujud-machine-1 stop (machine 1, 10.23.0.11)',
      '  $ echo manual > /etc/init/jujud-machine-1.override (machine 1: not started again at boot)',
      '  $ service juju-db stop (machine 1, 10.23.0.11)',
      '  $ echo manual > /etc/init/juju-db.override (machine 1: not started again at boot)',
      '  machine 1 is offline',
      '  $ service jujud-machine-2 stop (machine 2, 10.23.0.12)',
      '  $ echo manual > /etc/init/jujud-machine-2.override (machine 2: not started again at boot)',
      '  $ service juju-db stop (machine 2, 10.23.0.12)',
      '  $ echo manual > /etc/init/juju-db.override (machine 2: not started again at boot)',
      '  machine 2 is offline',
    ]);
    // Taken offline before the replacement was started.
    expect(lines.indexOf('  Starting new instance for initial state server')).toBeGreaterThan(from + 10);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/State servers 1, 2 were taken offline \(agent and juju-db stopped and set to manual in \/etc\/init\), not destroyed: destroy those instances before enabling HA/);

    // The next command starts the sandbox again (every machine boots): machines 1 and 2 stay out.
    const status = await run(['status', '--format', 'json']);
    const doc = JSON.parse(status.stdout) as { machines: Record<string, Record<string, string>>; quorum: { voting: number; primary: string } };
    expect(Object.keys(doc.machines)).toEqual(['0']);
    expect(doc.quorum).toMatchObject({ voting: 1, primary: '0' });
    const layout = new SandboxLayout(votesHome);
    for (const id of ['1', '2']) expect(await readFile(path.join(layout.machineRoot(id), 'etc/init/juju-db.override'), 'utf8')).toBe('manual\n');
  });
});
