import { describe, expect, it } from 'vitest';
import { newEnvironmentRecord } from '../environment';
import { AGENT_CONF_HEADER, machineAgentConf, parseAgentConf, unitAgentConf, withApiAddresses } from './agent-conf';

const secrets = {
  caCertPem: '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n',
  caKeyPem: '-----BEGIN RSA PRIVATE KEY-----\nCAKEY\n-----END RSA PRIVATE KEY-----\n',
  serverCertPem: '-----BEGIN CERTIFICATE-----\nSRV\n-----END CERTIFICATE-----\n',
  serverKeyPem: '-----BEGIN RSA PRIVATE KEY-----\nSRVKEY\n-----END RSA PRIVATE KEY-----\n',
  systemIdentity: '-----BEGIN OPENSSH PRIVATE KEY-----\nSYS\n-----END OPENSSH PRIVATE KEY-----\n',
};

const COMMON = ['tag', 'datadir', 'logdir', 'nonce', 'jobs', 'upgradedToVersion', 'cacert', 'stateaddresses', 'statepassword', 'environment', 'apiaddresses', 'apipassword', 'oldpassword', 'values', 'prefer-ipv6'];
const SERVER_ONLY = ['stateservercert', 'stateserverkey', 'caprivatekey', 'apiport', 'stateport', 'sharedsecret', 'systemidentity'];

describe('agent.conf', () => {
  const env = newEnvironmentRecord(0);

  it('renders a state server in format 1.18 with every key', () => {
    const m0 = env.machines[0]!;
    const text = machineAgentConf(env, m0, secrets);
    expect(text.split('\n')[0]).toBe(AGENT_CONF_HEADER);
    expect(text).toMatch(/^jobs:\n- JobManageEnviron\n- JobHostUnits$/m);
    expect(text).toMatch(/^cacert: \|/m);
    const conf = parseAgentConf(text);
    for (const k of [...COMMON, ...SERVER_ONLY]) expect(conf, k).toHaveProperty(k);
    expect(conf.tag).toBe('machine-0');
    expect(conf.nonce).toBe('user-admin:bootstrap');
    expect(conf.environment).toBe(`environment-${env.uuid}`);
    expect(conf.oldpassword).toBe(env.adminPassword);
    expect(conf.statepassword).toBe(m0.statePassword);
    expect(conf.cacert).toBe(secrets.caCertPem);
    expect(conf.caprivatekey).toBe(secrets.caKeyPem);
    expect(conf.stateport).toBe(37017);
    expect(conf.apiport).toBe(17070);
    expect(conf.sharedsecret).toBe(env.sharedSecret);
    expect(conf.stateaddresses).toEqual(['localhost:37017']);
    expect(conf.apiaddresses).toEqual(['10.23.0.10:17070', '10.23.0.11:17070', '10.23.0.12:17070']);
  });

  it('renders a workload machine without the state-server keys', () => {
    const m3 = env.machines[3]!;
    const conf = parseAgentConf(machineAgentConf(env, m3, secrets));
    for (const k of COMMON) expect(conf, k).toHaveProperty(k);
    for (const k of SERVER_ONLY) expect(conf, k).not.toHaveProperty(k);
    expect(conf.jobs).toEqual(['JobHostUnits']);
    expect(conf.nonce).toBe(m3.nonce);
    expect(conf.nonce).toMatch(/^machine-0:[0-9a-f-]{36}$/);
    expect(conf.stateaddresses).toEqual(['10.23.0.10:37017', '10.23.0.11:37017', '10.23.0.12:37017']);
  });

  it('rewrites only apiaddresses when the published API host ports change (apiaddressupdater)', () => {
    const text = machineAgentConf(env, env.machines[0]!, secrets);
    expect(withApiAddresses(text, ['10.23.0.10:17070', '10.23.0.11:17070', '10.23.0.12:17070'])).toBe(text);
    const moved = withApiAddresses(text, ['10.23.0.10:17070', '10.23.0.14:17070']);
    expect(moved.split('\n')[0]).toBe(AGENT_CONF_HEADER);
    const before = parseAgentConf(text);
    const after = parseAgentConf(moved);
    expect(after.apiaddresses).toEqual(['10.23.0.10:17070', '10.23.0.14:17070']);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect({ ...after, apiaddresses: null }).toEqual({ ...before, apiaddresses: null });
    // Every other line is untouched, in place.
    const other = (t: string) => t.split('\n').filter((l) => !l.includes(':17070'));
    expect(other(moved)).toEqual(other(text));
    expect(() => withApiAddresses('tag: machine-0\n', [])).toThrow(/format 1.18/);
  });

  it('renders unit agents', () => {
    const unit = env.services[0]!.units[0]!;
    const conf = parseAgentConf(unitAgentConf(env, unit, secrets.caCertPem));
    expect(conf.tag).toBe('unit-mysql-0');
    expect(conf.apipassword).toBe(unit.password);
  });

  it('gives every sandbox its own secrets', () => {
    const other = newEnvironmentRecord(0);
    expect(other.uuid).not.toBe(env.uuid);
    expect(other.adminPassword).not.toBe(env.adminPassword);
    expect(other.sharedSecret).not.toBe(env.sharedSecret);
    expect(env.sharedSecret).toHaveLength(1024);
    expect(new Set(env.machines.map((m) => m.statePassword)).size).toBe(env.machines.length);
  });
});
