import { describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { SecretRegistry } from '../../../shared/redact';
import type { RemoteCommand } from '../../../shared/remote-commands';
import { parseAgentConf, pickAgentConfPath, readAgentConf, type CommandRunner } from './agent-conf';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** agent.conf as Juju 1.25 writes it on a state server (format 1.18). */
const STATE_SERVER = `# format 1.18
tag: machine-1
datadir: /var/lib/juju
logdir: /var/log/juju
nonce: machine-0:4f6b0f6e-bf2d-4c6c-8f3a-0c1b2d3e4f50
jobs:
- JobManageEnviron
- JobHostUnits
upgradedToVersion: 1.25.6
cacert: |
  -----BEGIN CERTIFICATE-----
  MIIB
  -----END CERTIFICATE-----
stateaddresses:
- localhost:37017
statepassword: Zq8s0Wm3kP1vX7yB2nC5dE6f
environment: environment-f41b1639-09b3-4eb7-8fbf-0927558cdf44
apiaddresses:
- 10.23.0.10:17070
- 10.23.0.11:17070
apipassword: Zq8s0Wm3kP1vX7yB2nC5dE6f
oldpassword: a1b2c3d4e5f6a7b8c9d0e1f2
values:
  AGENT_SERVICE_NAME: jujud-machine-1
  MONGO_OPLOG_SIZE: "1024"
  PROVIDER_TYPE: ec2
stateservercert: |
  -----BEGIN CERTIFICATE-----
  MIIC
  -----END CERTIFICATE-----
stateserverkey: |
  -----BEGIN RSA PRIVATE KEY-----
  serverkeymaterial
  -----END RSA PRIVATE KEY-----
caprivatekey: |
  -----BEGIN RSA PRIVATE KEY-----
  cakeymaterial
  -----END RSA PRIVATE KEY-----
apiport: 17070
sharedsecret: sharedsecretvalue123
systemidentity: |
  -----BEGIN RSA PRIVATE KEY-----
  identitymaterial
  -----END RSA PRIVATE KEY-----
prefer-ipv6: false
`;

describe('parseAgentConf', () => {
  it('splits public facts from credentials and registers every secret', () => {
    const secrets = new SecretRegistry();
    const { info, credentials } = parseAgentConf(STATE_SERVER, '10.23.0.11', '/var/lib/juju/agents/machine-1/agent.conf', secrets);
    expect(info).toMatchObject({
      tag: 'machine-1',
      machineId: '1',
      jobs: ['JobManageEnviron', 'JobHostUnits'],
      stateaddresses: ['localhost:37017'],
      apiaddresses: ['10.23.0.10:17070', '10.23.0.11:17070'],
      environmentUuid: 'f41b1639-09b3-4eb7-8fbf-0927558cdf44',
      apiport: 17070,
      // No stateport key: derived from the first state address, as Juju does.
      stateport: 37017,
      isStateServer: true,
      values: { MONGO_OPLOG_SIZE: '1024', PROVIDER_TYPE: 'ec2', AGENT_SERVICE_NAME: 'jujud-machine-1' },
    });
    expect(info.cacert).toContain('BEGIN CERTIFICATE');
    expect(credentials.statepassword).toBe('Zq8s0Wm3kP1vX7yB2nC5dE6f');
    expect(credentials.oldpassword).toBe('a1b2c3d4e5f6a7b8c9d0e1f2');
    expect(credentials.caprivatekey).toContain('cakeymaterial');
    for (const secret of ['Zq8s0Wm3kP1vX7yB2nC5dE6f', 'a1b2c3d4e5f6a7b8c9d0e1f2', 'sharedsecretvalue123']) {
      expect(secrets.has(secret)).toBe(true);
      expect(JSON.stringify(info)).not.toContain(secret);
    }
    expect(JSON.stringify(info)).not.toContain('PRIVATE KEY');
  });

  it('refuses malformed files with agent-conf-unreadable naming file and host, without quoting secrets', () => {
    const secrets = new SecretRegistry();
    const file = '/var/lib/juju/agents/machine-1/agent.conf';
    const broken = `${STATE_SERVER}\nstatepassword: [unclosed Zq8s0Wm3kP1vX7yB2nC5dE6f\n`;
    const cases = [broken, 'just a string', `tag: unit-wordpress-0\ncacert: "${CERT}"\nstatepassword: x1234567`, 'tag: machine-3\nstatepassword: abcdefgh'];
    for (const text of cases) {
      let error: unknown;
      try {
        parseAgentConf(text, '10.23.0.11', file, secrets);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(QuorumError);
      const qe = error as QuorumError;
      expect(qe.code).toBe('agent-conf-unreadable');
      expect(qe.message).toContain(file);
      expect(qe.message).toContain('10.23.0.11');
      expect(qe.message).toMatch(/sudo/);
      expect(qe.message).not.toContain('Zq8s0Wm3kP1vX7yB2nC5dE6f');
    }
  });
});

describe('pickAgentConfPath', () => {
  it('takes the single machine agent, ignoring unit agents', () => {
    expect(pickAgentConfPath('/var/lib/juju/agents/machine-2/agent.conf\n', 'h')).toBe('/var/lib/juju/agents/machine-2/agent.conf');
    expect(() => pickAgentConfPath('', 'h')).toThrow(/no machine agent/);
    expect(() => pickAgentConfPath('/var/lib/juju/agents/machine-1/agent.conf\n/var/lib/juju/agents/machine-2/agent.conf\n', 'h')).toThrow(
      /more than one/,
    );
  });
});

describe('readAgentConf', () => {
  it('globs, then reads the file', async () => {
    const calls: RemoteCommand[] = [];
    const runner: CommandRunner = {
      run: async (command) => {
        calls.push(command);
        return Buffer.from(command.kind === 'glob' ? '/var/lib/juju/agents/machine-1/agent.conf\n' : STATE_SERVER);
      },
    };
    const conf = await readAgentConf(runner, '10.23.0.11', new SecretRegistry());
    expect(conf.info.machineId).toBe('1');
    expect(calls).toEqual([
      { kind: 'glob', pattern: '/var/lib/juju/agents/machine-*/agent.conf' },
      { kind: 'read-file', path: '/var/lib/juju/agents/machine-1/agent.conf' },
    ]);
  });

  it('turns a failed read into agent-conf-unreadable but keeps a lost connection as it is', async () => {
    const failing: CommandRunner = {
      run: async (command) => {
        if (command.kind === 'glob') return Buffer.from('/var/lib/juju/agents/machine-1/agent.conf\n');
        throw new QuorumError('remote-command-failed', 'read failed', { details: { stderr: 'sudo: a password is required' } });
      },
    };
    await expect(readAgentConf(failing, 'h', new SecretRegistry())).rejects.toMatchObject({
      code: 'agent-conf-unreadable',
      message: expect.stringContaining('sudo: a password is required'),
    });
    const lost: CommandRunner = {
      run: async () => {
        throw new QuorumError('host-unreachable', 'lost');
      },
    };
    await expect(readAgentConf(lost, 'h', new SecretRegistry())).rejects.toMatchObject({ code: 'host-unreachable' });
  });
});
