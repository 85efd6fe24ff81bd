import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discoverJujuEnvironments, hostOf, portOf, resolveJujuHome } from './juju-home';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const GOOD_JENV = `user: admin
password: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
environ-uuid: 6b7c0e46-2d6a-4c1b-8a0e-0123456789ab
state-servers:
- 10.0.3.1:17070
- 10.0.3.2:17070
- "[fd00::3]:17070"
server-hostnames:
- 10.0.3.1:17070
- localhost:17070
ca-cert: |
  -----BEGIN CERTIFICATE-----
  MIIB
  -----END CERTIFICATE-----
bootstrap-config:
  name: prod
  type: maas
  admin-secret: very-secret-admin
  ca-private-key: |
    -----BEGIN RSA PRIVATE KEY-----
`;

let dir: string;
let jujuHome: string;

async function put(rel: string, text: string): Promise<void> {
  const file = path.join(jujuHome, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-juju-'));
  jujuHome = path.join(dir, 'juju-home');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Juju client configuration discovery', () => {
  it('reads a valid .jenv: addresses, UUID, CA and key; never the password', async () => {
    await put('environments/prod.jenv', GOOD_JENV);
    await put('ssh/juju_id_rsa', 'KEY');
    const found = await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome }, homedir: dir });
    expect(found.jujuHome).toBe(jujuHome);
    expect(found.environments).toHaveLength(1);
    const [prod] = found.environments;
    expect(prod?.environment).toEqual({
      id: 'juju:prod',
      name: 'prod',
      kind: 'juju',
      source: path.join(jujuHome, 'environments/prod.jenv'),
      stateServers: ['10.0.3.1:17070', '10.0.3.2:17070', '[fd00::3]:17070'],
      sshUser: 'ubuntu',
      sshPort: 22,
      keyFile: path.join(jujuHome, 'ssh/juju_id_rsa'),
      environUuid: '6b7c0e46-2d6a-4c1b-8a0e-0123456789ab',
      current: false,
      error: null,
    });
    expect(prod?.caCertPem).toBe(CA);
    const serialized = JSON.stringify(found);
    expect(serialized).not.toContain('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(serialized).not.toContain('very-secret-admin');
  });

  it('lists malformed files with a clear environment-invalid error instead of dropping them', async () => {
    await put('environments/good.jenv', GOOD_JENV);
    await put('environments/bad-yaml.jenv', 'user: admin\nstate-servers: [10.0.0.1:17070\n  password: : :\n');
    await put('environments/no-servers.jenv', 'user: admin\npassword: x\n');
    await put('environments/empty-servers.jenv', 'user: admin\nstate-servers: []\n');
    await put('environments/wrong-type.jenv', 'user: admin\nstate-servers: 10.0.0.1:17070\n');
    await put('environments/wrong-entry.jenv', 'state-servers:\n- {host: x}\n');
    await put('environments/scalar.jenv', 'just a string\n');
    await put('environments/empty.jenv', '');
    await put('environments/notes.txt', 'ignored');
    const found = await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome }, homedir: dir });
    const byName = Object.fromEntries(found.environments.map((e) => [e.environment.name, e.environment]));
    expect(Object.keys(byName).sort()).toEqual(['bad-yaml', 'empty', 'empty-servers', 'good', 'no-servers', 'scalar', 'wrong-entry', 'wrong-type']);
    expect(byName.good?.error).toBeNull();
    const messages: Record<string, RegExp> = {
      'bad-yaml': /^bad-yaml\.jenv: is not valid YAML/,
      'no-servers': /^no-servers\.jenv: it has no "state-servers" list/,
      'empty-servers': /"state-servers" is empty/,
      'wrong-type': /"state-servers" must be a list/,
      'wrong-entry': /entries must be "host:port" strings/,
      scalar: /is not a YAML mapping/,
      empty: /is not a YAML mapping/,
    };
    for (const [name, pattern] of Object.entries(messages)) {
      expect(byName[name]?.error?.code, name).toBe('environment-invalid');
      expect(byName[name]?.error?.message, name).toMatch(pattern);
      expect(byName[name]?.error?.message, name).toMatch(/Fix or remove the file\.$/);
    }
  });

  it('JUJU_ENV wins over current-environment, as in Juju', async () => {
    await put('environments/a.jenv', GOOD_JENV);
    await put('environments/b.jenv', GOOD_JENV);
    await put('current-environment', 'a\n');
    const fromFile = await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome }, homedir: dir });
    expect(fromFile.current).toEqual({ name: 'a', from: 'current-environment' });
    expect(fromFile.environments.filter((e) => e.environment.current).map((e) => e.environment.name)).toEqual(['a']);
    const fromEnv = await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome, JUJU_ENV: 'b' }, homedir: dir });
    expect(fromEnv.current).toEqual({ name: 'b', from: 'JUJU_ENV' });
    expect(fromEnv.environments.filter((e) => e.environment.current).map((e) => e.environment.name)).toEqual(['b']);
    const blank = await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome, JUJU_ENV: '  ' }, homedir: dir });
    expect(blank.current?.name).toBe('a');
  });

  it('falls back to the default in environments.yaml, after JUJU_ENV and current-environment', async () => {
    await put('environments/a.jenv', GOOD_JENV);
    await put('environments/b.jenv', GOOD_JENV);
    await put('environments.yaml', 'default: b\nenvironments:\n  b:\n    type: maas\n    admin-secret: nope\n');
    expect((await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome }, homedir: dir })).current).toEqual({ name: 'b', from: 'environments.yaml' });
    await put('current-environment', 'a');
    expect((await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome }, homedir: dir })).current?.name).toBe('a');
    await put('environments.yaml', 'default: [unclosed');
    await put('current-environment', '');
    expect((await discoverJujuEnvironments({ env: { JUJU_HOME: jujuHome }, homedir: dir })).current).toBeNull();
  });

  it('falls back to ~/.juju and copes with no Juju configuration at all', async () => {
    expect(resolveJujuHome({}, '/home/op')).toBe('/home/op/.juju');
    expect(resolveJujuHome({ JUJU_HOME: '~/juju1' }, '/home/op')).toBe('/home/op/juju1');
    const none = await discoverJujuEnvironments({ env: {}, homedir: dir });
    expect(none).toEqual({ jujuHome: path.join(dir, '.juju'), current: null, environments: [] });
    jujuHome = path.join(dir, '.juju');
    await put('environments/home.jenv', GOOD_JENV);
    const found = await discoverJujuEnvironments({ env: {}, homedir: dir });
    expect(found.environments.map((e) => e.environment.id)).toEqual(['juju:home']);
    expect(found.environments[0]?.environment.keyFile).toBeNull();
  });

  it('splits host and port of Juju addresses', () => {
    expect(hostOf('10.0.3.1:17070')).toBe('10.0.3.1');
    expect(hostOf('[fd00::3]:17070')).toBe('fd00::3');
    expect(hostOf('fd00::3')).toBe('fd00::3');
    expect(hostOf('db.example.com')).toBe('db.example.com');
    expect(portOf('db.example.com:2222')).toBe(2222);
    expect(portOf('[fd00::3]:22')).toBe(22);
    expect(portOf('fd00::3')).toBeNull();
    expect(portOf('host')).toBeNull();
  });
});
