import { describe, expect, it } from 'vitest';
import type { RemoteCommand } from '../../../shared/remote-commands';
import { bringBack, offlineAdvice, serversToTakeOffline, takeOffline, type SessionFor } from './take-offline';

/** Fake state servers: upstart jobs with a running flag, override files, and a machine that may refuse. */
function machines(spec: Record<string, { running: string[]; failOn?: string }>) {
  const calls: string[] = [];
  const files = new Map<string, string>();
  const sessionFor: SessionFor = async (address) => {
    const m = spec[address];
    if (!m) throw new Error(`no route to ${address}`);
    return {
      run: async (cmd: RemoteCommand, options?: { stdin?: string | Buffer }) => {
        const line = cmd.kind === 'service' ? `${address} ${cmd.service} ${cmd.action}` : cmd.kind === 'write-file' ? `${address} write ${cmd.path} ${JSON.stringify(String(options?.stdin ?? ''))}` : `${address} ${cmd.kind}`;
        if (m.failOn && line.includes(m.failOn)) throw new Error('permission denied');
        if (cmd.kind === 'service' && cmd.action === 'status') return Buffer.from(m.running.includes(cmd.service) ? `${cmd.service} start/running, process 1\n` : `${cmd.service} stop/waiting\n`);
        calls.push(line);
        if (cmd.kind === 'service' && cmd.action === 'stop') m.running = m.running.filter((s) => s !== cmd.service);
        if (cmd.kind === 'service' && cmd.action === 'start') m.running.push(cmd.service);
        if (cmd.kind === 'write-file') files.set(`${address}:${cmd.path}`, String(options?.stdin ?? ''));
        return Buffer.alloc(0);
      },
    } as never;
  };
  return { calls, files, sessionFor, spec };
}

const probe = (machineId: string | null, address: string, sshUp: boolean) => ({ machineId, address, sshUp, jujuDbUp: sshUp, hasVote: sshUp });

describe('serversToTakeOffline', () => {
  it('every state server whose SSH answers, but the backup machine and the replacement, in machine order', () => {
    const probes = [probe('2', '10.0.0.12', true), probe('0', '10.0.0.10', true), probe('1', '10.0.0.11', true), probe('3', '10.0.0.13', false), probe(null, '10.0.0.14', true), probe('5', '10.0.0.15', true)];
    expect(serversToTakeOffline(probes, { machineId: '0', address: '10.0.0.15' })).toEqual([
      { machineId: '1', address: '10.0.0.11' },
      { machineId: '2', address: '10.0.0.12' },
    ]);
  });
});

describe('takeOffline and bringBack', () => {
  it('stops the agent then juju-db where they run, and sets both to manual so a reboot does not start them', async () => {
    const m = machines({ a: { running: ['jujud-machine-1', 'juju-db'] }, b: { running: ['juju-db'] } });
    const said: string[] = [];
    const offline = await takeOffline([{ machineId: '1', address: 'a' }, { machineId: '2', address: 'b' }], m.sessionFor, (l) => said.push(l));
    expect(m.calls).toEqual([
      'a jujud-machine-1 stop',
      'a write /etc/init/jujud-machine-1.override "manual\\n"',
      'a juju-db stop',
      'a write /etc/init/juju-db.override "manual\\n"',
      'b write /etc/init/jujud-machine-2.override "manual\\n"',
      'b juju-db stop',
      'b write /etc/init/juju-db.override "manual\\n"',
    ]);
    expect(offline).toEqual([
      { machineId: '1', address: 'a', stopped: ['jujud-machine-1', 'juju-db'], manual: ['jujud-machine-1', 'juju-db'] },
      { machineId: '2', address: 'b', stopped: ['juju-db'], manual: ['jujud-machine-2', 'juju-db'] },
    ]);
    expect(said).toContain('machine 1 is offline');

    m.calls.length = 0;
    await bringBack(offline, m.sessionFor, () => undefined);
    expect(m.calls).toEqual([
      'a write /etc/init/jujud-machine-1.override ""',
      'a write /etc/init/juju-db.override ""',
      'a juju-db start',
      'a jujud-machine-1 start',
      'b write /etc/init/jujud-machine-2.override ""',
      'b write /etc/init/juju-db.override ""',
      'b juju-db start',
    ]);
    expect(m.spec.a!.running.sort()).toEqual(['juju-db', 'jujud-machine-1']);
  });

  it('when one cannot be taken offline, brings back what it already stopped and says which machine and what to do', async () => {
    const m = machines({ a: { running: ['jujud-machine-1', 'juju-db'] }, b: { running: ['jujud-machine-2', 'juju-db'], failOn: 'juju-db stop' } });
    const error = await takeOffline([{ machineId: '1', address: 'a' }, { machineId: '2', address: 'b' }], m.sessionFor, () => undefined).catch((e: unknown) => e);
    expect((error as Error).message).toBe('State server machine 2 (b) could not be taken offline: permission denied. Stop its juju-db, or power it off, then start the restore again.');
    expect(m.spec.a!.running.sort()).toEqual(['juju-db', 'jujud-machine-1']);
    expect(m.spec.b!.running.sort()).toEqual(['juju-db', 'jujud-machine-2']);
    expect(m.files.get('a:/etc/init/juju-db.override')).toBe('');
    expect(m.files.get('b:/etc/init/jujud-machine-2.override')).toBe('');
  });

  it('bringBack never throws: a machine it cannot reach gets a warning naming what to do by hand', async () => {
    const m = machines({});
    const said: Array<[string, string | undefined]> = [];
    await bringBack([{ machineId: '4', address: 'gone', stopped: ['juju-db'], manual: ['juju-db'] }], m.sessionFor, (l, level) => said.push([l, level]));
    expect(said).toEqual([['machine 4 could not be brought back (no route to gone): on it, start juju-db, empty /etc/init/juju-db.override', 'warning']]);
  });
});

describe('offlineAdvice', () => {
  it('says nothing when nothing was taken offline, else which machines and to destroy them', () => {
    expect(offlineAdvice([])).toBeNull();
    expect(offlineAdvice([{ machineId: '1', address: 'a', stopped: [], manual: [] }, { machineId: '2', address: 'b', stopped: [], manual: [] }])).toBe(
      'State servers 1, 2 were taken offline (agent and juju-db stopped and set to manual in /etc/init), not destroyed: destroy those instances before enabling HA, since started again they would serve the old replica set.',
    );
  });
});
