import { describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { RemoteCommand } from '../../../shared/remote-commands';
import { machineAgentUpstartConf } from './agent-job';
import { installAgentJob, isMissingSystemdUnit, probeAgentJob, UPSTART_AGENT_JOBS, type RunRemote } from './agent-job-install';

/**
 * A replacement host answering `service jujud-machine-1 status` and the
 * juju-db job glob as told, with other agent jobs (`agents`: job → status
 * answer) in /etc/init; records what ran.
 */
function host(answers: { status: string | Error; jujuDbConf?: boolean; agents?: Record<string, string | Error> }) {
  const ran: Array<{ what: string; cmd: RemoteCommand; stdin?: string }> = [];
  const agents = answers.agents ?? {};
  const run: RunRemote = async (what, cmd, opts) => {
    ran.push({ what, cmd, ...(opts?.stdin !== undefined ? { stdin: opts.stdin } : {}) });
    if (cmd.kind === 'service') {
      const answer = cmd.service === 'jujud-machine-1' ? answers.status : agents[cmd.service];
      if (answer === undefined) throw new Error(`unexpected service ${cmd.service}`);
      if (answer instanceof Error) throw answer;
      return answer;
    }
    if (cmd.kind === 'glob' && cmd.pattern === UPSTART_AGENT_JOBS) {
      const jobs = [...Object.keys(agents), ...(answers.status instanceof Error ? [] : ['jujud-machine-1'])].sort();
      return jobs.map((j) => `/etc/init/${j}.conf\n`).join('');
    }
    if (cmd.kind === 'glob') return answers.jujuDbConf ? `${cmd.pattern}\n` : '';
    if (cmd.kind === 'write-file') return '';
    throw new Error(`unexpected ${cmd.kind}`);
  };
  const lines: string[] = [];
  return { run, ran, lines, log: (l: string) => lines.push(l) };
}

const failed = (stderr: string, code = 1) =>
  new QuorumError('remote-command-failed', `service jujud-machine-1 status on 10.0.0.5 (10.0.0.5:22) exited with status ${code}: ${stderr}. Check the machine, then retry.`);

describe('probeAgentJob: the backup machine agent job on the replacement, before the point of no return', () => {
  it('running: stop it first, nothing to install', async () => {
    const h = host({ status: 'jujud-machine-1 start/running, process 4242\n' });
    expect(await probeAgentJob(h.run, '1', '10.0.0.5', h.log)).toEqual({ job: 'jujud-machine-1', running: true, missing: false, others: [] });
    expect(h.ran.map((r) => r.what)).toEqual(['service jujud-machine-1 status', `ls ${UPSTART_AGENT_JOBS}`]);
  });

  it('stopped: present, not running', async () => {
    const h = host({ status: 'jujud-machine-1 stop/waiting\n' });
    expect(await probeAgentJob(h.run, '1', '10.0.0.5', h.log)).toEqual({ job: 'jujud-machine-1', running: false, missing: false, others: [] });
  });

  it("upstart's 'unrecognized service' on a host whose juju-db is an upstart job: missing, to install", async () => {
    const h = host({ status: failed('jujud-machine-1: unrecognized service'), jujuDbConf: true });
    expect(await probeAgentJob(h.run, '1', '10.0.0.5', h.log)).toEqual({ job: 'jujud-machine-1', running: false, missing: true, others: [] });
    expect(h.ran.map((r) => r.cmd)).toEqual([
      { kind: 'service', service: 'jujud-machine-1', action: 'status' },
      { kind: 'glob', pattern: '/etc/init/juju-db.conf' },
      { kind: 'glob', pattern: UPSTART_AGENT_JOBS },
    ]);
    expect(h.lines).toEqual(['jujud-machine-1 is not installed on 10.0.0.5 (bootstrapped as another machine): its upstart job is installed once the files are placed']);
  });

  it('missing on a host without an upstart juju-db job: refused, saying what to do and that nothing was wiped', async () => {
    const h = host({ status: failed('jujud-machine-1: unrecognized service'), jujuDbConf: false });
    const error = await probeAgentJob(h.run, '1', '10.0.0.5', h.log).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuorumError);
    expect((error as QuorumError).code).toBe('invalid-input');
    expect((error as Error).message).toMatch(/^10\.0\.0\.5 has no jujud-machine-1 job and juju-db is no upstart job there \(\/etc\/init\/juju-db\.conf is missing\): .*only as an upstart job.*Install a jujud-machine-1 service on 10\.0\.0\.5 by hand.*or bootstrap the replacement on trusty, then run the restore again\. Nothing on 10\.0\.0\.5 was wiped\.$/);
    expect(h.ran.some((r) => r.cmd.kind === 'write-file')).toBe(false);
  });

  it("systemd's 'could not be found': refused without writing an upstart file nobody reads", async () => {
    const h = host({ status: failed('Unit jujud-machine-1.service could not be found.', 4) });
    await expect(probeAgentJob(h.run, '1', '10.0.0.5', h.log)).rejects.toThrow(/has no jujud-machine-1 job and systemd runs its services: .*Nothing on 10\.0\.0\.5 was wiped\./);
    expect(h.ran.map((r) => r.cmd.kind)).toEqual(['service']);
  });

  it('another status failure (systemd exits 3 for a stopped unit) counts as present and stopped', async () => {
    const h = host({ status: failed('', 3) });
    expect(await probeAgentJob(h.run, '1', '10.0.0.5', h.log)).toEqual({ job: 'jujud-machine-1', running: false, missing: false, others: [] });
  });

  it("a host bootstrapped as another machine: its own running agent is listed to stop before the wipe, stopped ones are left alone", async () => {
    const h = host({
      status: failed('jujud-machine-1: unrecognized service'),
      jujuDbConf: true,
      agents: { 'jujud-machine-5': 'jujud-machine-5 start/running, process 77\n', 'jujud-machine-7': 'jujud-machine-7 stop/waiting\n', 'jujud-machine-9': failed('jujud-machine-9: Unknown instance') },
    });
    expect(await probeAgentJob(h.run, '1', '10.0.0.5', h.log)).toEqual({ job: 'jujud-machine-1', running: false, missing: true, others: ['jujud-machine-5'] });
    expect(h.ran.filter((r) => r.cmd.kind === 'service').map((r) => r.what)).toEqual([
      'service jujud-machine-1 status',
      'service jujud-machine-5 status',
      'service jujud-machine-7 status',
      'service jujud-machine-9 status',
    ]);
    expect(h.lines).toContain("jujud-machine-5 (this host's own machine agent) runs on 10.0.0.5: it is stopped before the wipe, as Juju's agent exits once its restore is done");
  });

  it('the backup machine job present and running beside another running agent: both are reported, the job itself not twice', async () => {
    const h = host({ status: 'jujud-machine-1 start/running, process 4242\n', agents: { 'jujud-machine-0': 'jujud-machine-0 start/running, process 12\n' } });
    expect(await probeAgentJob(h.run, '1', '10.0.0.5', h.log)).toEqual({ job: 'jujud-machine-1', running: true, missing: false, others: ['jujud-machine-0'] });
  });

  it('a cancel while the other agents are probed is passed on', async () => {
    const h = host({ status: 'jujud-machine-1 stop/waiting\n', agents: { 'jujud-machine-5': new QuorumError('cancelled', 'The restore was cancelled.') } });
    await expect(probeAgentJob(h.run, '1', '10.0.0.5', h.log)).rejects.toMatchObject({ code: 'cancelled' });
  });

  it('a cancel is passed on, not read as a missing job', async () => {
    const h = host({ status: new QuorumError('cancelled', 'The restore was cancelled.') });
    await expect(probeAgentJob(h.run, '1', '10.0.0.5', h.log)).rejects.toMatchObject({ code: 'cancelled' });
  });

  it("recognises systemd's words for a unit that does not exist", () => {
    expect(isMissingSystemdUnit('Unit jujud-machine-1.service could not be found.')).toBe(true);
    expect(isMissingSystemdUnit('Failed to start jujud-machine-1.service: Unit jujud-machine-1.service not found.')).toBe(true);
    expect(isMissingSystemdUnit('   Loaded: not-found (Reason: No such file or directory)')).toBe(true);
    expect(isMissingSystemdUnit('jujud-machine-1: unrecognized service')).toBe(false);
  });
});

describe('installAgentJob', () => {
  it("writes Juju's upstart job 0644 through write-file and says so", async () => {
    const h = host({ status: '' });
    await installAgentJob(h.run, '3', h.log);
    expect(h.ran).toEqual([{ what: 'write /etc/init/jujud-machine-3.conf', cmd: { kind: 'write-file', path: '/etc/init/jujud-machine-3.conf', mode: 0o644 }, stdin: machineAgentUpstartConf('3') }]);
    expect(h.lines).toEqual(['installed upstart job jujud-machine-3: this host had none (the backup is from machine 3)']);
  });
});
