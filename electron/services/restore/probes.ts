import { QuorumError } from '../../../shared/errors';
import { parseDfAvailable, parseRestoreProbe } from '../../../shared/remote-commands';
import type { EnvironmentConnection } from '../connection/environment-connection';
import type { StateServerSession } from '../connection/state-server-session';

/**
 * The facts the restore checklist needs, probed live and bounded in time:
 * whether the backup's origin machine still answers (SSH, juju-db), which
 * state servers still hold a vote, and what the replacement offers (Juju
 * tools, mongorestore, free space). Every probe is a read; nothing changes.
 */

export const PROBE_TIMEOUT_MS = 8_000;

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new QuorumError('timeout', `${what} did not answer within ${Math.round(ms / 1000)} s.`)), ms);
    }),
  ]);
}

export interface StateServerProbe {
  readonly address: string;
  readonly machineId: string | null;
  readonly sshUp: boolean;
  readonly jujuDbUp: boolean;
  readonly hasVote: boolean;
}

async function probeOne(session: StateServerSession, ms: number): Promise<StateServerProbe> {
  const base = { address: session.address, machineId: session.machineId };
  try {
    await within(session.whenConnected(), ms, `SSH to ${session.address}`);
  } catch {
    return { ...base, sshUp: false, jujuDbUp: false, hasVote: false };
  }
  try {
    const facts = await within(
      session.withMongo(async (c) => {
        const hello = await c.command('admin', { isMaster: 1 });
        const config = await c.replSetGetConfig().catch(() => null);
        const me = String(hello.me ?? '');
        const member = (config?.members as Array<{ host?: string; votes?: number }> | undefined)?.find((m) => m.host === me);
        const serving = hello.ismaster === true || hello.secondary === true;
        return { serving, votes: member ? (member.votes ?? 1) : 0 };
      }),
      ms,
      `juju-db on ${session.address}`,
    );
    return { address: session.address, machineId: session.machineId, sshUp: true, jujuDbUp: true, hasVote: facts.serving && facts.votes > 0 };
  } catch {
    return { address: session.address, machineId: session.machineId, sshUp: true, jujuDbUp: false, hasVote: false };
  }
}

/** Every listed state server (and `extra` addresses, e.g. the origin's), in parallel. */
export async function probeStateServers(connection: EnvironmentConnection, extra: readonly string[], ms = PROBE_TIMEOUT_MS): Promise<StateServerProbe[]> {
  const addresses = [...new Set([...connection.target.stateServers.map((s) => s.address), ...extra])];
  return Promise.all(
    addresses.map((a) => {
      try {
        return probeOne(connection.session(a), ms);
      } catch {
        return Promise.resolve({ address: a, machineId: null, sshUp: false, jujuDbUp: false, hasVote: false });
      }
    }),
  );
}

export interface TargetProbe {
  readonly reachable: boolean;
  readonly error: string | null;
  readonly toolsVersions: readonly string[];
  readonly mongorestore: string | null;
  readonly freeBytes: number | null;
}

export async function probeTarget(session: StateServerSession, ms = PROBE_TIMEOUT_MS): Promise<TargetProbe> {
  try {
    await within(session.whenConnected(), ms, `SSH to ${session.address}`);
  } catch (error) {
    return { reachable: false, error: error instanceof Error ? error.message : String(error), toolsVersions: [], mongorestore: null, freeBytes: null };
  }
  const probe = parseRestoreProbe((await within(session.run({ kind: 'restore-probe', dataDir: '/var/lib/juju' }), ms, 'restore-probe')).toString('utf8'));
  const freeBytes = await within(session.run({ kind: 'free-space', path: '/' }), ms, 'df')
    .then((b) => parseDfAvailable(b.toString('utf8')))
    .catch(() => null);
  return {
    reachable: true,
    error: null,
    toolsVersions: probe.tools.map((t) => t.version).filter((v): v is string => v !== null),
    mongorestore: probe.mongorestore ? `${probe.mongorestore.path} (${probe.mongorestore.version})` : null,
    freeBytes,
  };
}
