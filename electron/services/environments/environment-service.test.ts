import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManualEnvironmentInput } from '../../../shared/ipc/channels/environments';
import { SecretRegistry } from '../../../shared/redact';
import type { SandboxDescription } from '../../sandbox/types';
import { createDispatcher } from '../ipc/dispatcher';
import { createEventHub, type EventMessage } from '../ipc/event-hub';
import { createMemoryLogger } from '../log';
import { createEnvironmentService, environmentHandlers, type SandboxProvider } from './environment-service';

const JENV = 'user: admin\npassword: pw-123456\nenviron-uuid: u-1\nstate-servers:\n- 10.0.3.1:17070\n- 10.0.3.2:17070\nca-cert: CA\n';

const description: SandboxDescription = {
  environment: { name: 'sandbox', uuid: 'uuid-sandbox', series: 'trusty', agentVersion: '1.25.6', caCertPem: 'SANDBOX-CA' },
  ssh: { user: 'ubuntu', privateKeyPath: '/q/sandbox/juju_id_rsa', publicKey: 'ssh-ed25519 AAAA' },
  dir: '/q/sandbox',
  machines: ['0', '1', '2', '3'].map((id) => ({
    id,
    address: `10.23.0.${10 + Number(id)}`,
    ssh: { host: '127.0.0.1', port: 42000 + Number(id) },
    jobs: id === '3' ? ['JobHostUnits'] : ['JobHostUnits', 'JobManageEnviron'],
    stateServer: id !== '3',
    powered: true,
    hostKeyFingerprint: `SHA256:fp${id}`,
    instanceId: `i-${id}`,
    jujuDb: id === '3' ? null : 'running',
    memberHealthy: true,
  })) as SandboxDescription['machines'],
};

let dir: string;
let home: string;
let jujuHome: string;
let started = 0;
const sandbox: SandboxProvider = {
  describe: async () => {
    started++;
    return description;
  },
  peek: () => (started > 0 ? description : null),
};

function make(env: Record<string, string> = {}) {
  const secrets = new SecretRegistry();
  const log = createMemoryLogger(secrets);
  const events = createEventHub({ log });
  const seen: EventMessage[] = [];
  events.subscribe((m) => seen.push(m));
  const service = createEnvironmentService({ home, env: { JUJU_HOME: jujuHome, ...env }, homedir: dir, events, sandbox, log });
  return { service, seen, dispatcher: createDispatcher(environmentHandlers(service), { log, secrets }) };
}

const input = (name: string, extra: Partial<ManualEnvironmentInput> = {}): ManualEnvironmentInput => ({
  name,
  stateServers: ['db1.example.com', 'db2.example.com:2222'],
  sshUser: 'ops',
  sshPort: 2200,
  keyFile: '~/.ssh/ops_key',
  ...extra,
});

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-envs-'));
  home = path.join(dir, 'quorum-home');
  jujuHome = path.join(dir, 'juju');
  started = 0;
  await mkdir(path.join(jujuHome, 'environments'), { recursive: true });
  await mkdir(path.join(jujuHome, 'ssh'), { recursive: true });
  await writeFile(path.join(jujuHome, 'environments', 'prod.jenv'), JENV);
  await writeFile(path.join(jujuHome, 'environments', 'broken.jenv'), 'state-servers: [');
  await writeFile(path.join(jujuHome, 'ssh', 'juju_id_rsa'), 'KEY');
  await writeFile(path.join(jujuHome, 'current-environment'), 'prod');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('environment service', () => {
  it('lists the sandbox first (the default selection), then .jenv environments, broken ones included', async () => {
    const { service } = make();
    const list = await service.list();
    expect(list.selectedId).toBe('sandbox');
    expect(list.environments.map((e) => e.id)).toEqual(['sandbox', 'juju:broken', 'juju:prod']);
    expect(list.environments.find((e) => e.id === 'juju:prod')?.current).toBe(true);
    expect(list.environments.find((e) => e.id === 'juju:broken')?.error?.code).toBe('environment-invalid');
    expect(JSON.stringify(list)).not.toContain('pw-123456');
    expect(started).toBe(0);
  });

  it('adds, reloads, edits and removes environments by hand, with atomic 0600 writes', async () => {
    const { service, seen } = make();
    const added = await service.add(input('lab'));
    expect(added).toMatchObject({ id: 'manual:lab', kind: 'manual', sshUser: 'ops', sshPort: 2200 });
    const file = path.join(home, 'environments.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readdir(home)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, environments: [input('lab')] });

    // A fresh service (a restarted console) sees it.
    const again = make().service;
    expect((await again.list()).environments.map((e) => e.id)).toContain('manual:lab');

    await expect(again.add(input('LAB'))).rejects.toMatchObject({ code: 'conflict' });
    await expect(again.add(input('prod'))).rejects.toMatchObject({ code: 'conflict' });
    await expect(again.add(input('sandbox'))).rejects.toMatchObject({ code: 'conflict' });

    await again.select('manual:lab');
    const renamed = await again.update('manual:lab', input('lab2', { sshPort: 22 }));
    expect(renamed.id).toBe('manual:lab2');
    expect((await again.list()).selectedId).toBe('manual:lab2');
    await expect(again.update('juju:prod', input('x'))).rejects.toMatchObject({ code: 'forbidden' });
    await expect(again.remove('sandbox')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(again.remove('manual:nope')).rejects.toMatchObject({ code: 'not-found' });

    await again.remove('manual:lab2');
    const after = await again.list();
    expect(after.environments.map((e) => e.id)).not.toContain('manual:lab2');
    expect(after.selectedId).toBe('sandbox');
    expect(seen.filter((m) => m.event === 'environments.changed').length).toBe(1);
  });

  it('persists the selection, refuses unknown or broken environments, and tells listeners', async () => {
    const { service, seen } = make();
    const selections: string[] = [];
    service.onSelected((id) => selections.push(id));
    await service.select('juju:prod');
    expect(selections).toEqual(['juju:prod']);
    expect((seen.at(-1)?.payload as { selectedId: string }).selectedId).toBe('juju:prod');
    expect(JSON.parse(await readFile(path.join(home, 'settings.json'), 'utf8'))).toEqual({ selectedEnvironmentId: 'juju:prod' });
    expect((await make().service.list()).selectedId).toBe('juju:prod');
    await expect(service.select('juju:broken')).rejects.toMatchObject({ code: 'environment-invalid' });
    await expect(service.select('manual:ghost')).rejects.toMatchObject({ code: 'not-found' });
    // The .jenv disappears: the selection falls back to the sandbox.
    await rm(path.join(jujuHome, 'environments', 'prod.jenv'));
    expect((await service.list()).selectedId).toBe('sandbox');
  });

  it('never overwrites an environments.json it cannot parse', async () => {
    await mkdir(home, { recursive: true });
    await writeFile(path.join(home, 'environments.json'), '{"version": 1, "environments": [ {"name": "keep-me"');
    const { service } = make();
    const list = await service.list();
    const broken = list.environments.find((e) => e.id === 'manual-store');
    expect(broken?.error?.message).toMatch(/is not valid JSON.*Fix or remove the file/);
    await expect(service.add(input('new'))).rejects.toMatchObject({ code: 'environment-invalid' });
    expect(await readFile(path.join(home, 'environments.json'), 'utf8')).toContain('keep-me');
  });

  it('runs concurrent edits one after the other, losing none', async () => {
    const { service } = make();
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => service.add(input(n))));
    expect((await service.list()).environments.filter((e) => e.kind === 'manual').map((e) => e.name).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('resolves connection targets for .jenv, manual and sandbox environments', async () => {
    const { service } = make();
    const prod = await service.resolveTarget('juju:prod');
    expect(prod).toMatchObject({ kind: 'juju', sshUser: 'ubuntu', keyFile: path.join(jujuHome, 'ssh', 'juju_id_rsa'), caCertPem: 'CA' });
    expect(prod.stateServers).toEqual([
      { address: '10.0.3.1', ssh: { host: '10.0.3.1', port: 22 } },
      { address: '10.0.3.2', ssh: { host: '10.0.3.2', port: 22 } },
    ]);
    expect(prod.sshEndpointFor('10.0.3.9')).toEqual({ host: '10.0.3.9', port: 22 });

    await service.add(input('lab'));
    const lab = await service.resolveTarget('manual:lab');
    expect(lab).toMatchObject({ kind: 'manual', sshUser: 'ops', keyFile: path.join(dir, '.ssh/ops_key'), caCertPem: null });
    expect(lab.stateServers.map((s) => s.ssh)).toEqual([
      { host: 'db1.example.com', port: 2200 },
      { host: 'db2.example.com', port: 2222 },
    ]);

    await expect(service.resolveTarget('juju:broken')).rejects.toMatchObject({ code: 'environment-invalid' });

    const sb = await service.resolveTarget('sandbox');
    expect(sb.stateServers.map((s) => s.address)).toEqual(['10.23.0.10', '10.23.0.11', '10.23.0.12']);
    expect(sb.sshEndpointFor('10.23.0.13')).toEqual({ host: '127.0.0.1', port: 42003 });
    expect(() => sb.sshEndpointFor('10.23.0.99')).toThrow(/no machine/);
    expect(sb.vouchedHostKeys.get('10.23.0.11')).toBe('SHA256:fp1');
    expect(sb.caCertPem).toBe('SANDBOX-CA');
    expect((await service.list()).environments[0]).toMatchObject({ id: 'sandbox', environUuid: 'uuid-sandbox', stateServers: ['10.23.0.10', '10.23.0.11', '10.23.0.12'] });
  });

  it('a .jenv environment without Juju\'s SSH key says where the key should be', async () => {
    await rm(path.join(jujuHome, 'ssh', 'juju_id_rsa'));
    const { service } = make();
    await expect(service.resolveTarget('juju:prod')).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('juju_id_rsa') });
  });

  it('serves the environments channels through the dispatcher', async () => {
    const { dispatcher } = make();
    const sender = { host: 'browser' as const, id: 't' };
    const added = await dispatcher.dispatch('environments.add', input('viaipc'), sender);
    expect(added).toMatchObject({ ok: true, value: { id: 'manual:viaipc' } });
    const dup = await dispatcher.dispatch('environments.add', input('viaipc'), sender);
    expect(dup).toMatchObject({ ok: false, error: { code: 'conflict' } });
    const bad = await dispatcher.dispatch('environments.add', { ...input('x'), sshPort: 0 }, sender);
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(await dispatcher.dispatch('environments.remove', { id: 'manual:viaipc' }, sender)).toEqual({ ok: true, value: {} });
  });
});
