import { describe, expect, it } from 'vitest';
import { RESTORE_STEP_TITLES, type RestoreRun } from '../../../shared/ipc/channels/restore';
import { agentService, replaceHost, resetChangeVersions, rewriteAgentConfAddresses } from './agent-conf-rewrite';
import { judgePrechecks, oldInstanceStillExists, type PrecheckFacts } from './prechecks';
import { RunState } from './run-state';

const CONF = [
  '# format 1.18',
  'tag: machine-1',
  'stateaddresses:',
  '- 10.0.0.5:37017',
  '- 10.0.0.6:37017',
  'statepassword: s3cret',
  'apiaddresses:',
  '- 10.0.0.5:17070',
  '- 10.0.0.6:17070',
  'oldpassword: old',
  '',
].join('\n');

describe('agent.conf rewriting', () => {
  it('rewrites only the first host under each key, keeping ports and everything else byte for byte', () => {
    const r = rewriteAgentConfAddresses(CONF, '10.9.9.9');
    expect(r.text).toBe(CONF.replace('- 10.0.0.5:37017', '- 10.9.9.9:37017').replace('- 10.0.0.5:17070', '- 10.9.9.9:17070'));
    expect(r.changed).toEqual({ stateaddresses: { from: '10.0.0.5:37017', to: '10.9.9.9:37017' }, apiaddresses: { from: '10.0.0.5:17070', to: '10.9.9.9:17070' } });
  });
  it('leaves a unit agent without stateaddresses alone there', () => {
    const unit = 'tag: unit-mysql-0\napiaddresses:\n- "10.0.0.5:17070"\n';
    const r = rewriteAgentConfAddresses(unit, '10.1.1.1');
    expect(r.text).toBe('tag: unit-mysql-0\napiaddresses:\n- "10.1.1.1:17070"\n');
    expect(r.changed.stateaddresses).toBeNull();
  });
  it('brackets IPv6 hosts and refuses entries without a port', () => {
    expect(replaceHost('localhost:37017', '::1')).toBe('[::1]:37017');
    expect(() => replaceHost('nohost', '1.2.3.4')).toThrow(/host:port/);
  });
  it('resets relation change-versions to 0 and counts them', () => {
    expect(resetChangeVersions('change-version: 7\nchanged-pending: false\n')).toEqual({ text: 'change-version: 0\nchanged-pending: false\n', reset: 1 });
    expect(resetChangeVersions('change-version: 0\n').reset).toBe(0);
  });
  it('maps agent directories to their upstart jobs', () => {
    expect(agentService('machine-3')).toBe('jujud-machine-3');
    expect(agentService('unit-wordpress-0')).toBe('jujud-unit-wordpress-0');
    expect(agentService('tools')).toBeNull();
  });
});

const base: PrecheckFacts = {
  verdict: { allowed: true, reason: '1.25 restores with --oplogReplay' },
  archiveEnvironmentUuid: 'u-1',
  environmentUuid: 'u-1',
  environmentName: 'prod',
  originMachineId: '0',
  originInstanceId: 'i-abc',
  originSshUp: false,
  originJujuDbUp: false,
  target: { kind: 'host', address: '10.0.0.9', reachable: true, error: null, toolsVersions: ['1.25.6-trusty-amd64'], mongorestore: '/usr/lib/juju/bin/mongorestore', freeBytes: 10e9 },
  backupVersion: '1.25.6',
  neededBytes: 1e6,
  votingUp: [],
  confirmations: {},
};
const state = (f: PrecheckFacts, id: string) => judgePrechecks(f).items.find((i) => i.id === id)!;

describe('restore pre-checks', () => {
  it('all pass on a sound archive, a dead origin and a ready replacement', () => {
    const r = judgePrechecks(base);
    expect(r.items.map((i) => i.state)).toEqual(Array(8).fill('pass'));
    expect(r.canStart).toBe(true);
  });
  it("refuses with Juju's words while the origin answers on SSH or juju-db", () => {
    for (const up of [{ originSshUp: true }, { originJujuDbUp: true }]) {
      const item = state({ ...base, ...up }, 'origin-down');
      expect(item.state).toBe('fail');
      expect(item.why.startsWith(oldInstanceStillExists('i-abc'))).toBe(true);
    }
    expect(judgePrechecks({ ...base, originSshUp: true }).canStart).toBe(false);
  });
  it('needs an explicit confirmation for another environment, and a typed name while a vote remains', () => {
    const other = { ...base, archiveEnvironmentUuid: 'u-2' };
    expect(state(other, 'environment')).toMatchObject({ state: 'fail', needs: 'different-environment' });
    expect(state({ ...other, confirmations: { differentEnvironment: true } }, 'environment').state).toBe('warn');
    const voting = { ...base, votingUp: ['1'] };
    expect(state(voting, 'votes')).toMatchObject({ state: 'fail', needs: 'typed-environment-name' });
    expect(state({ ...voting, confirmations: { typedEnvironmentName: 'wrong' } }, 'votes').state).toBe('fail');
    expect(judgePrechecks({ ...voting, confirmations: { typedEnvironmentName: 'prod' } }).canStart).toBe(true);
  });
  it('checks the replacement: version, mongorestore, room', () => {
    expect(state({ ...base, target: { ...base.target, toolsVersions: ['1.24.7-trusty-amd64'] } }, 'target-version').state).toBe('fail');
    expect(state({ ...base, target: { ...base.target, mongorestore: null } }, 'target-tools').state).toBe('fail');
    expect(state({ ...base, target: { ...base.target, freeBytes: 10 } }, 'target-space').state).toBe('fail');
    expect(state({ ...base, target: { ...base.target, reachable: false, error: 'refused' } }, 'target-reachable').why).toMatch(/refused/);
  });
  it('a sandbox replacement is pending until the restore makes it, and does not block', () => {
    const r = judgePrechecks({ ...base, target: { kind: 'sandbox', address: null, reachable: null, error: null, toolsVersions: [], mongorestore: null, freeBytes: null } });
    expect(r.items.find((i) => i.id === 'target-reachable')!.state).toBe('pending');
    expect(r.canStart).toBe(true);
  });
  it('a refused verdict fails the archive item', () => {
    expect(judgePrechecks({ ...base, verdict: { allowed: false, reason: 'cannot restore this backup version' } }).canStart).toBe(false);
  });
});

describe('restore step planning', () => {
  it("plans the nine steps in the seed's order, and tracks the point of no return and rows", () => {
    const seen: RestoreRun[] = [];
    const s = new RunState({ operationId: 'op-abcdef', environmentId: 'e', mode: 'restore', machineId: '0' }, (r) => seen.push(r));
    expect(s.run.steps.map((x) => x.title)).toEqual(Object.values(RESTORE_STEP_TITLES));
    expect(s.run.steps.map((x) => x.title)).toEqual([
      'extracted credentials from backup file',
      're-bootstrapping environment',
      'connecting to newly bootstrapped instance',
      'restoring bootstrap machine',
      'copying backup file to bootstrap host',
      'updating bootstrap machine',
      'restored bootstrap machine',
      'opening state',
      'updating all machines',
    ]);
    expect(s.run.cancellable).toBe(true);
    s.begin('update-bootstrap');
    s.passPointOfNoReturn();
    expect(s.run.cancellable).toBe(false);
    s.fail('update-bootstrap', 'boom', false);
    expect(s.stepOf('update-bootstrap')).toMatchObject({ state: 'failed', error: 'boom' });
    s.row({ machineId: '1', address: null, state: 'failed', agents: [], message: null, reason: 'x', attempts: 1 });
    s.row({ machineId: '1', address: null, state: 'succeeded', agents: [], message: null, reason: null, attempts: 2 });
    expect(s.run.machines).toHaveLength(1);
    expect(seen.length).toBeGreaterThan(3);
  });
});
