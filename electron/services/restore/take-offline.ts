import { QuorumError } from '../../../shared/errors';
import { parseServiceRunning, type ServiceName } from '../../../shared/remote-commands';
import type { StateServerSession } from '../connection/state-server-session';
import type { StateServerProbe } from './probes';

/**
 * "Otherwise restore will take them off[line]" (the seed, Restoring on HA):
 * state servers that still run when the operator confirms a restore are
 * stopped — their machine agent, then juju-db — before the replacement
 * comes up. Left running, they would keep their own replica set "juju",
 * and a replacement at an address their config lists joins it (real
 * MongoDB adopts a newer config from a member's heartbeat), so the
 * restored juju-db never becomes primary of its one-member set.
 *
 * Each job is also set to `manual` in its upstart override file, so a
 * reboot does not start it again (`start on runlevel [2345]`); the
 * instances are not destroyed, and the operator is told to destroy them.
 * If the restore stops before its point of no return, `bringBack` clears
 * the overrides and starts what was stopped, so a restore that fails early
 * loses nothing.
 */

export interface OfflineServer {
  readonly machineId: string;
  readonly address: string;
  /** The jobs this stopped, in the order they were stopped. */
  readonly stopped: readonly ServiceName[];
  /** The jobs set to `manual` (`/etc/init/<job>.override`), so a reboot does not start them. */
  readonly manual: readonly ServiceName[];
}

/** upstart's override file for a job: `manual` keeps it from starting at boot; an empty one overrides nothing. */
export function overridePath(service: ServiceName): string {
  return `/etc/init/${service}.override`;
}

export type SessionFor = (address: string) => Promise<Pick<StateServerSession, 'run'>>;

async function running(session: Pick<StateServerSession, 'run'>, service: ServiceName): Promise<boolean> {
  const out = await session.run({ kind: 'service', service, action: 'status' }).catch(() => null);
  return out !== null && parseServiceRunning(out.toString('utf8'));
}

/** Which probed state servers to take offline: every one whose SSH answers, but the backup's machine (down by the checklist) and the replacement. */
export function serversToTakeOffline(probes: readonly StateServerProbe[], exclude: { readonly machineId: string; readonly address: string | null }): Array<{ machineId: string; address: string }> {
  return probes
    .filter((p) => p.sshUp && p.machineId !== null && p.machineId !== exclude.machineId && p.address !== exclude.address)
    .map((p) => ({ machineId: p.machineId!, address: p.address }))
    .sort((a, b) => Number(a.machineId) - Number(b.machineId));
}

export async function takeOffline(
  servers: ReadonlyArray<{ machineId: string; address: string }>,
  sessionFor: SessionFor,
  say: (line: string, level?: 'info' | 'warning') => void,
): Promise<OfflineServer[]> {
  const done: OfflineServer[] = [];
  for (const s of servers) {
    const stopped: ServiceName[] = [];
    const manual: ServiceName[] = [];
    try {
      const session = await sessionFor(s.address);
      for (const service of [`jujud-machine-${s.machineId}` as ServiceName, 'juju-db' as ServiceName]) {
        if (await running(session, service)) {
          say(`$ service ${service} stop (machine ${s.machineId}, ${s.address})`);
          await session.run({ kind: 'service', service, action: 'stop' });
          stopped.push(service);
        }
        say(`$ echo manual > ${overridePath(service)} (machine ${s.machineId}: not started again at boot)`);
        await session.run({ kind: 'write-file', path: overridePath(service), mode: 0o644 }, { stdin: 'manual\n' });
        manual.push(service);
      }
    } catch (error) {
      // Nothing of the restore has happened yet: start again what this stopped, then say why.
      await bringBack([...done, { ...s, stopped, manual }], sessionFor, say);
      const reason = error instanceof Error ? error.message : String(error);
      throw new QuorumError('conflict', `State server machine ${s.machineId} (${s.address}) could not be taken offline: ${reason}. Stop its juju-db, or power it off, then start the restore again.`, { cause: error });
    }
    done.push({ ...s, stopped, manual });
    say(`machine ${s.machineId} is offline${stopped.length ? '' : ' (nothing was running)'}`);
  }
  return done;
}

/** Starts again what `takeOffline` stopped (juju-db first, then the agent); never throws, says what could not be started. */
export async function bringBack(servers: readonly OfflineServer[], sessionFor: SessionFor, say: (line: string, level?: 'info' | 'warning') => void): Promise<void> {
  for (const s of servers) {
    try {
      const session = await sessionFor(s.address);
      for (const service of s.manual) {
        say(`$ : > ${overridePath(service)} (machine ${s.machineId}: started at boot again)`);
        await session.run({ kind: 'write-file', path: overridePath(service), mode: 0o644 }, { stdin: '' });
      }
      for (const service of [...s.stopped].reverse()) {
        say(`$ service ${service} start (machine ${s.machineId}, ${s.address})`);
        await session.run({ kind: 'service', service, action: 'start' });
      }
    } catch (error) {
      const what = [...s.stopped.map((j) => `start ${j}`), ...s.manual.map((j) => `empty ${overridePath(j)}`)].join(', ');
      say(`machine ${s.machineId} could not be brought back (${error instanceof Error ? error.message : String(error)}): on it, ${what}`, 'warning');
    }
  }
}

/** What the operator must do about servers the restore took offline, once it has succeeded. */
export function offlineAdvice(servers: readonly OfflineServer[]): string | null {
  if (servers.length === 0) return null;
  const ids = servers.map((s) => s.machineId).join(', ');
  const many = servers.length > 1;
  return `State server${many ? 's' : ''} ${ids} ${many ? 'were' : 'was'} taken offline (agent and juju-db stopped and set to manual in /etc/init), not destroyed: destroy ${many ? 'those instances' : 'that instance'} before enabling HA, since started again ${many ? 'they' : 'it'} would serve the old replica set.`;
}
