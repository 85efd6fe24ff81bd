import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import { SecretRegistry } from '../../../shared/redact';
import type { SandboxMachineDescription } from '../../sandbox/types';
import { startBackupsHarness, type BackupsHarness } from '../backups/testing/backups-harness';
import type { RestoreService } from './restore-service';
import { finishedRestore, machineSession, sandboxRestoreService } from './testing/restore-harness';

/**
 * Restore onto a host the operator bootstrapped (Juju 1.25 server side,
 * step 7): the backup is from machine 0, the host is a fresh state server
 * that only has its own `jujud-machine-<N>` job. The restore installs
 * `jujud-machine-0` from Juju's upstart template, starts it, and leaves a
 * one-member replica set with machine 0 at the host's address; the host's
 * own agent is stopped before the wipe. Every old
 * state server is powered off (the sandbox's replica-set coordinator treats
 * all running members as one network).
 */

const ENV = 'sandbox';
let h: BackupsHarness;
let restore: RestoreService;
let backup: CreateBackupResult;
let host: SandboxMachineDescription;
const secrets = new SecretRegistry();

beforeAll(async () => {
  h = await startBackupsHarness({ tmpPrefix: 'quorum-restore-host-', readiness: { timeoutMs: 3_000, pollMs: 300 }, progressIntervalMs: 10, onPhase: () => undefined });
  restore = sandboxRestoreService(h, secrets);
  const { operationId } = await h.service.create(ENV, { notes: 'named host', keepLocal: true });
  const done = await h.operations.whenFinished(operationId);
  expect(done.state, done.error?.message).toBe('succeeded');
  backup = done.result as CreateBackupResult;
  expect(backup.metadata.machine).toBe('0');
  for (const m of h.sandbox.describe().machines.filter((x) => x.stateServer)) await h.sandbox.powerOff(m.id);
  host = await h.sandbox.addMachine({ jobs: ['JobManageEnviron', 'JobHostUnits'] });
}, 180_000);

afterAll(async () => {
  await restore?.close();
  await h?.close();
});

it('installs jujud-machine-0 on a host bootstrapped as another machine, starts it, and leaves machine 0 voting at that address', async () => {
  expect(host.id).not.toBe('0');
  const before = await machineSession(h, secrets, host.id);
  try {
    // The precondition: the host only knows its own agent job.
    await expect(before.session.run({ kind: 'service', service: 'jujud-machine-0', action: 'status' })).rejects.toThrow(/jujud-machine-0: unrecognized service/);
    expect((await before.session.run({ kind: 'glob', pattern: '/etc/init/jujud-machine-*.conf' })).toString()).toBe(`/etc/init/jujud-machine-${host.id}.conf\n`);
  } finally {
    await before.close();
  }

  const { operationId } = await restore.start(ENV, { localPath: backup.localPath! }, { kind: 'host', address: host.address }, {});
  const done = await finishedRestore(h, restore, operationId);
  expect(done.state, done.error).toBe('succeeded');
  expect(done.result!.targetAddress).toBe(host.address);
  expect(done.result!.stateServers.map((m) => [m.machineId, m.hasVote])).toEqual([['0', true]]);

  // Juju's order: the job is installed after the files are placed and agent.conf rewritten, before juju-db is restored.
  const update = done.run.steps.find((s) => s.id === 'update-bootstrap')!;
  const lines = update.log.map((l) => l.text);
  const at = (text: string) => lines.findIndex((l) => l.startsWith(text));
  expect(at('$ write /etc/init/jujud-machine-0.conf')).toBeGreaterThan(at('$ write /var/lib/juju/agents/machine-0/agent.conf'));
  expect(at('installed upstart job jujud-machine-0')).toBeGreaterThan(at('$ write /etc/init/jujud-machine-0.conf'));
  expect(at('$ mongorestore')).toBeGreaterThan(at('installed upstart job jujud-machine-0'));
  // The host's own agent is stopped before the wipe: left running, it acts on the restored juju-db as machine N (its peergrouper re-adds the old state servers).
  expect(at(`$ service jujud-machine-${host.id} stop`)).toBeGreaterThan(-1);
  expect(at(`$ service jujud-machine-${host.id} stop`)).toBeLessThan(at('point of no return'));
  expect(done.run.steps.find((s) => s.id === 'restored-bootstrap')!.log.map((l) => l.text)).toContain('$ service jujud-machine-0 start');

  const after = await machineSession(h, secrets, host.id);
  try {
    const s = after.session;
    expect((await s.run({ kind: 'service', service: 'jujud-machine-0', action: 'status' })).toString()).toMatch(/^jujud-machine-0 start\/running, process \d+\n$/);
    expect((await s.run({ kind: 'service', service: `jujud-machine-${Number(host.id)}`, action: 'status' })).toString()).toBe(`jujud-machine-${host.id} stop/waiting\n`);
    const conf = (await s.run({ kind: 'read-file', path: '/etc/init/jujud-machine-0.conf' })).toString();
    expect(conf).toContain(`exec '/var/lib/juju/tools/machine-0/jujud' machine --data-dir '/var/lib/juju' --machine-id 0 --debug >> /var/log/juju/machine-0.log 2>&1\n`);
    const c = await s.mongo();
    const status = await c.command('admin', { replSetGetStatus: 1 });
    expect((status.members as Array<{ name: string; stateStr: string }>).map((m) => [m.name, m.stateStr])).toEqual([[`${host.address}:37017`, 'PRIMARY']]);
    const zero = await c.findOne({ db: 'juju', collection: 'machines' }, { machineid: '0' });
    expect(zero).toMatchObject({ hasvote: true, addresses: [expect.objectContaining({ value: host.address })] });
    expect(await c.find({ db: 'juju', collection: 'machines' }, { hasvote: true }).toArray()).toHaveLength(1);
    expect(await c.findOne({ db: 'juju', collection: 'restoreInfo' }, { _id: 'current' })).toMatchObject({ status: 'CHECKED' });
  } finally {
    await after.close();
  }
}, 300_000);
