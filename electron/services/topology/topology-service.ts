import { QuorumError, serializeError } from '../../../shared/errors';
import { buildTopology, markUnreachable, type Topology } from '../../../shared/model/topology';
import { IDLE_SNAPSHOT, sameSnapshot, type TopologySnapshot } from '../../../shared/model/topology-snapshot';
import { describeError, type Logger } from '../log';
import { firstAnswer } from './first-answer';
import type { RoundFacts } from './topology-reader';

/**
 * The live topology of the selected environment. One poll loop per
 * environment, whatever the number of windows or components watching: each
 * round reads one state server (the primary when known, another one when it
 * does not answer), builds the model, and publishes `topology.changed` only
 * when the snapshot changed. Polling runs at its normal rate while some
 * window that can be seen holds a watch lease, slowly (`idleIntervalMs`)
 * while every watcher is hidden (a minimised Electron window), not at all
 * once no lease is held (a closed browser tab drops its lease at once), and
 * stops at once when the environment is switched. A watcher that shows again
 * gets a round at once. Each change of state (ready, an error, another
 * error) is logged once at info, never every round.
 */

/** How the service reads an environment; the connection layer provides the real one. */
export interface TopologySource {
  /** State-server addresses the environment lists, machine 0's first. */
  readonly addresses: readonly string[];
  /** One round of reads against the state server at `address`. */
  read(address: string): Promise<RoundFacts>;
}

export interface TopologyServiceOptions {
  /** Resolves the source for an environment; rejects with a QuorumError when it cannot be used. */
  readonly openSource: (environmentId: string) => Promise<TopologySource>;
  readonly publish: (snapshot: TopologySnapshot) => void;
  readonly log: Logger;
  /** Time between the starts of two rounds (default 1000 ms). */
  readonly intervalMs?: number;
  /** Ask the next state server when one has not answered within this (default 700 ms). */
  readonly hedgeMs?: number;
  /** A round gives up after this (default 8000 ms). */
  readonly roundTimeoutMs?: number;
  /** A watch lapses unless renewed within this (default 30 000 ms). */
  readonly leaseMs?: number;
  /** Time between rounds while every watcher is hidden (default 30 000 ms). */
  readonly idleIntervalMs?: number;
  readonly now?: () => number;
}

export interface TopologyService {
  /** Switches to another environment (null: none); polling of the previous one stops at once. */
  select(environmentId: string | null): void;
  snapshot(): TopologySnapshot;
  /** A watcher (a window) starts, renews or ends its lease; returns the current snapshot. */
  watch(watcher: string, active: boolean): TopologySnapshot;
  /**
   * What the host knows about a watcher (`browser:ws-3`, `electron:wc-1`):
   * `visible` (the default), `hidden` (minimised: polled slowly), `gone`
   * (its tab or window closed: its lease ends now rather than when it lapses).
   */
  audience(watcher: string, state: AudienceState): void;
  /** Runs a round now rather than at the next tick (after a power change, a trusted host key…). */
  refresh(): Promise<void>;
  /** Rounds run so far, for tests and benchmarks. */
  readonly rounds: number;
  close(): Promise<void>;
}

export type AudienceState = 'visible' | 'hidden' | 'gone';

export function createTopologyService(options: TopologyServiceOptions): TopologyService {
  const intervalMs = options.intervalMs ?? 1000;
  const idleIntervalMs = options.idleIntervalMs ?? 30_000;
  const hedgeMs = options.hedgeMs ?? 700;
  const roundTimeoutMs = options.roundTimeoutMs ?? 8000;
  const leaseMs = options.leaseMs ?? 30_000;
  const now = options.now ?? Date.now;
  const log = options.log.child('topology');

  let environmentId: string | null = null;
  let generation = 0;
  let current: TopologySnapshot = IDLE_SNAPSHOT;
  let source: Promise<TopologySource> | null = null;
  /** Where the last round read from, and the primary it saw: asked first next time. */
  let preferred: string[] = [];
  const leases = new Map<string, number>();
  const hidden = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  /** The loop is waiting the idle interval: a watcher that shows again cuts the wait short. */
  let idling = false;
  let inFlight: { readonly gen: number; readonly done: Promise<void> } | null = null;
  let looping = false;
  let rounds = 0;
  let closed = false;

  const set = (next: TopologySnapshot) => {
    if (sameSnapshot(current, next)) return;
    logChange(log, current, next);
    current = next;
    try {
      options.publish(next);
    } catch (error) {
      log.error('Publishing the topology failed', { error: describeError(error) });
    }
  };

  /** Any lease at all (the loop runs, maybe slowly). */
  const watched = () => {
    const t = now();
    for (const [watcher, expires] of leases) if (expires <= t) leases.delete(watcher);
    return leases.size > 0;
  };
  /** A lease held by a watcher someone can see (the loop runs at its normal rate). */
  const seen = () => watched() && [...leases.keys()].some((watcher) => !hidden.has(watcher));

  const candidates = (src: TopologySource): string[] => {
    const fromTopology = current.topology?.machines.filter((m) => m.isStateServer && m.address !== null).map((m) => m.address as string) ?? [];
    return [...new Set([...preferred, ...src.addresses, ...fromTopology])];
  };

  const runRound = async (gen: number): Promise<void> => {
    const envId = environmentId;
    if (envId === null) return;
    rounds++;
    log.debug('Topology round', { environmentId: envId, round: rounds });
    let topology: Topology;
    try {
      source ??= options.openSource(envId);
      const src = await source;
      const answer = await firstAnswer(candidates(src), (address) => src.read(address), { hedgeMs, timeoutMs: roundTimeoutMs });
      if (gen !== generation) return;
      topology = buildTopology({
        environmentId: envId,
        juju: answer.value.juju,
        replicaSet: answer.value.replicaSet,
        readFrom: answer.candidate,
        observedAt: new Date(now()).toISOString(),
      });
      const primary = topology.machines.find((m) => m.isPrimary)?.address ?? null;
      preferred = [...new Set([primary, answer.candidate].filter((a): a is string => a !== null))];
    } catch (error) {
      if (gen !== generation) return;
      // Open the source again next round: the environment's connection may have
      // been replaced (sandbox restarted on new ports) or never opened at all.
      source = null;
      const serialized = serializeError(error instanceof QuorumError ? error : internal(error, log));
      const last = current.topology;
      set({
        environmentId: envId,
        status: 'error',
        topology: last === null ? null : last.stale ? last : markUnreachable(last, new Date(now()).toISOString()),
        error: serialized,
      });
      return;
    }
    set({ environmentId: envId, status: 'ready', topology, error: null });
  };

  /** At most one round at a time: a round of a new environment waits for the old one to end. */
  const round = (gen: number): Promise<void> => {
    if (inFlight !== null && inFlight.gen === gen) return inFlight.done;
    const before = inFlight?.done ?? Promise.resolve();
    const entry = {
      gen,
      done: before.then(() => runRound(gen)).finally(() => {
        if (inFlight === entry) inFlight = null;
      }),
    };
    inFlight = entry;
    return entry.done;
  };

  const schedule = (gen: number, delayMs: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (closed || gen !== generation || !watched()) {
        if (gen === generation) looping = false;
        return;
      }
      const started = now();
      void round(gen).then(() => {
        if (gen !== generation || closed) return;
        idling = !seen();
        schedule(gen, Math.max(50, (idling ? idleIntervalMs : intervalMs) - (now() - started)));
      });
    }, delayMs);
  };

  /** Starts the poll loop unless it already runs (a renewed lease must not add a round). */
  const ensurePolling = () => {
    if (closed || environmentId === null || !watched()) return;
    if (looping && idling && seen() && inFlight === null) {
      // Someone watches again: a round now, not at the end of the idle wait.
      idling = false;
      schedule(generation, 0);
      return;
    }
    if (looping) return;
    looping = true;
    idling = false;
    schedule(generation, 0);
  };

  return {
    select(id) {
      if (closed || id === environmentId) return;
      generation++;
      clearTimeout(timer);
      looping = false;
      environmentId = id;
      source = null;
      preferred = [];
      current = IDLE_SNAPSHOT;
      set(id === null ? IDLE_SNAPSHOT : { environmentId: id, status: 'loading', topology: null, error: null });
      ensurePolling();
    },
    snapshot: () => current,
    watch(watcher, active) {
      if (active) leases.set(watcher, now() + leaseMs);
      else leases.delete(watcher);
      if (active) ensurePolling();
      return current;
    },
    audience(watcher, state) {
      if (state === 'hidden') hidden.add(watcher);
      else hidden.delete(watcher);
      if (state === 'gone') leases.delete(watcher);
      if (state === 'visible') ensurePolling();
    },
    async refresh() {
      if (closed || environmentId === null) return;
      const gen = generation;
      await inFlight?.done;
      if (gen === generation) await round(gen);
    },
    get rounds() {
      return rounds;
    },
    async close() {
      closed = true;
      generation++;
      clearTimeout(timer);
      looping = false;
      leases.clear();
      hidden.clear();
      await inFlight?.done;
    },
  };
}

/** One info line per change of state: ready, or an error (another error, or the same code for another reason, is a change). */
function logChange(log: Logger, before: TopologySnapshot, after: TopologySnapshot): void {
  if (after.environmentId === null || after.status === 'loading') return;
  const sameState = before.environmentId === after.environmentId && before.status === after.status && before.error?.message === after.error?.message;
  if (sameState) return;
  if (after.status === 'ready') {
    log.info('Reading the topology', { environmentId: after.environmentId, readFrom: after.topology?.readFrom ?? null });
  } else if (after.error !== null) {
    log.info('Cannot read the topology', { environmentId: after.environmentId, code: after.error.code, message: after.error.message, detail: after.error.details?.raw ?? null });
  }
}

function internal(error: unknown, log: Logger): QuorumError {
  log.error('Reading the topology failed unexpectedly', { error: describeError(error) });
  return new QuorumError('internal', 'Quorum could not read the topology because of an internal error. The details are in the log; please report it.');
}
