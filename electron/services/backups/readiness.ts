import { QuorumError } from '../../../shared/errors';
import {
  hostOnly,
  isHealthyMember,
  JUJU_MACHINE_TAG,
  parseReplSetConfig,
  parseReplSetStatus,
  type ReplicaSetConfigRecord,
  type ReplicaSetStatusRecord,
} from '../../../shared/model/replica-set';
import type { JujuDbClient } from '../mongo/juju-db-client';

/**
 * Which state server a backup is taken from, and whether the replica set is
 * ready for one (Juju's `replicaset.WaitUntilReady(session, 60)` before
 * `Backups.Create`).
 */

export interface StateServerChoice {
  readonly machineId: string;
  /** The machine's address (the member host without the port). */
  readonly address: string;
  readonly voting: boolean;
  readonly healthy: boolean;
  readonly primary: boolean;
}

export interface ReplicaSetView {
  readonly config: ReplicaSetConfigRecord;
  readonly status: ReplicaSetStatusRecord;
}

/**
 * The replica set as the member reached sees it: its configuration (on 2.4
 * the client reads `local.system.replset`, as `replSetGetConfig` only came
 * with 3.0) and `replSetGetStatus` (2.4's members carry `optime` as a
 * Timestamp and `optimeDate`; the shared parser reads both shapes).
 */
export async function readReplicaSet(client: JujuDbClient): Promise<ReplicaSetView> {
  const [config, status] = await Promise.all([client.replSetGetConfig(), client.command('admin', { replSetGetStatus: 1 })]);
  return { config: parseReplSetConfig(config), status: parseReplSetStatus(status) };
}

/** Every member as a candidate, numbered by its Juju machine id. */
export function stateServerChoices(view: ReplicaSetView): StateServerChoice[] {
  return view.config.members
    .map((m) => {
      const st = view.status.members.find((s) => s.id === m.id);
      return {
        machineId: m.tags[JUJU_MACHINE_TAG] ?? String(m.id),
        address: hostOnly(m.host),
        voting: m.votes > 0,
        healthy: st ? isHealthyMember(st) : false,
        primary: st?.state === 'PRIMARY',
      };
    })
    .sort((a, b) => Number(a.machineId) - Number(b.machineId) || a.machineId.localeCompare(b.machineId));
}

/**
 * The initial state server: machine 0 when it is up, else the
 * lowest-numbered healthy voting state server (null when none is).
 */
export function chooseInitialStateServer(choices: readonly StateServerChoice[]): StateServerChoice | null {
  const zero = choices.find((c) => c.machineId === '0' && c.healthy);
  if (zero) return zero;
  return choices.find((c) => c.voting && c.healthy) ?? null;
}

/** A majority of voting members healthy, and a primary elected. */
export function isReplicaSetReady(view: ReplicaSetView): boolean {
  const choices = stateServerChoices(view);
  const voters = choices.filter((c) => c.voting);
  const healthy = voters.filter((c) => c.healthy).length;
  return voters.length > 0 && healthy > voters.length / 2 && choices.some((c) => c.primary);
}

export const HA_NOT_READY = 'HA not ready; try again later';

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Called while waiting, with the seconds left. */
  readonly onWait?: (secondsLeft: number) => void;
}

/** Polls until ready; after `timeoutMs` (60 s as in Juju) fails with `ha-not-ready`. */
export async function waitUntilReady(read: () => Promise<ReplicaSetView>, options: WaitOptions = {}): Promise<ReplicaSetView> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  // Juju polls every 10 s; a console can look more often and start sooner.
  const pollMs = options.pollMs ?? 1_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    options.signal?.throwIfAborted();
    let view: ReplicaSetView | null = null;
    try {
      view = await read();
      lastError = null;
    } catch (error) {
      view = null;
      lastError = error;
    }
    if (view && isReplicaSetReady(view)) return view;
    const left = deadline - Date.now();
    if (left <= 0) {
      if (lastError instanceof QuorumError) {
        throw new QuorumError('ha-not-ready', `${HA_NOT_READY}. The replica set could not be read: ${lastError.message}`, { cause: lastError });
      }
      throw new QuorumError('ha-not-ready', `${HA_NOT_READY}. Fewer than a majority of the state servers are healthy; check the Topology page.`);
    }
    options.onWait?.(Math.ceil(left / 1000));
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.min(pollMs, left));
      options.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      }, { once: true });
    });
  }
}
