import { QuorumError, serializeError } from '../../../shared/errors';
import { formatEnsureAvailabilityResult, sameChanges, type StateServersChanges } from '../../../shared/ha/changes';
import { machineIdFromTag } from '../../../shared/ha/placement';
import type { EnsureAvailabilitySpec, HaApplyProgress, HaApplyResult, HaPreview, HaStatus, RecoveryPlan } from '../../../shared/ipc/channels/ha';
import type { Topology } from '../../../shared/model/topology';
import type { TopologySnapshot } from '../../../shared/model/topology-snapshot';
import type { JujuApiClient } from '../juju-api/client';
import type { Logger } from '../log';
import type { OperationContext, OperationManager } from '../operations/operation-manager';
import type { AdminCredentials, ApiCredentials } from './admin-credentials';
import { computePreview, failedStateServers, haMachine, hazardsOf, isSettling, parseSpec, placementCandidates, stopsOf } from './ha-model';
import { recoveryPlan } from './recovery';

/**
 * High availability for the selected environment: status and preview from
 * the topology the topology service already reads, and changes made the
 * way `juju ensure-availability` / `juju remove-machine` make them, through
 * Juju's API. Applying is an operation: the API call, then following the
 * topology until every machine that wants a vote has one and the new
 * machines are started. Quorum adds the LP 1384549 re-run guard on top of
 * Juju's rules. Cancelling stops the waiting only: Juju's change, once the
 * call was answered, is not undone.
 */

export interface HaTopology {
  snapshot(): TopologySnapshot;
  watch(watcher: string, active: boolean): TopologySnapshot;
  refresh(): Promise<void>;
}

export interface HaServiceOptions {
  readonly operations: Pick<OperationManager, 'start' | 'list'>;
  readonly topology: HaTopology;
  readonly credentials: AdminCredentials;
  /** A logged-in API client on one of the environment's state servers (`preferred` addresses first). */
  readonly openApi: (environmentId: string, credentials: ApiCredentials, preferred: readonly string[], signal?: AbortSignal) => Promise<JujuApiClient>;
  readonly emitApplyProgress: (progress: HaApplyProgress) => void;
  readonly log: Logger;
  /** Give up waiting for votes after this (default 15 min); Juju's change goes on regardless. */
  readonly settleTimeoutMs?: number;
  /** How often the waiting loop looks at the latest topology (default 200 ms; the topology itself is read once a second). */
  readonly pollMs?: number;
}

export type ApplyRequest = EnsureAvailabilitySpec & { readonly overrideRerunGuard?: boolean | undefined };

export interface HaService {
  status(environmentId: string): Promise<HaStatus>;
  /** The status from a snapshot already at hand (for `ha.changed`). */
  statusOf(snapshot: TopologySnapshot): Promise<HaStatus | null>;
  preview(spec: EnsureAvailabilitySpec): Promise<HaPreview>;
  apply(request: ApplyRequest): Promise<{ operationId: string }>;
  setAdminPassword(environmentId: string, password: string): Promise<{ verified: boolean }>;
  removeMachines(environmentId: string, machineIds: readonly string[], force: boolean): Promise<{ removed: string[] }>;
  recoveryPlan(environmentId: string): Promise<RecoveryPlan>;
}

export function createHaService(options: HaServiceOptions): HaService {
  const log = options.log.child('ha');
  const settleTimeoutMs = options.settleTimeoutMs ?? 15 * 60_000;
  const pollMs = options.pollMs ?? 200;
  /** Machines an earlier run took out of the state servers, per environment: recovery step 3's candidates. */
  const former = new Map<string, Set<string>>();
  const formerOf = (id: string) => former.get(id) ?? new Set<string>();

  const runningApply = (environmentId: string): string | null =>
    options.operations.list().find((o) => o.kind === 'ha.apply' && o.state === 'running' && o.environmentId === environmentId)?.id ?? null;

  /** The snapshot for `environmentId`, reading once if nothing was read yet. */
  const snapshotFor = async (environmentId: string): Promise<TopologySnapshot> => {
    let snap = options.topology.snapshot();
    if (snap.environmentId === environmentId && snap.topology === null && snap.status !== 'error') {
      await Promise.race([options.topology.refresh().catch(() => undefined), delay(5000)]);
      snap = options.topology.snapshot();
    }
    return snap;
  };

  /** Live (or last known) facts; refuses when there are none to act on. */
  const liveTopology = async (environmentId: string): Promise<Topology> => {
    const snap = await snapshotFor(environmentId);
    if (snap.environmentId !== environmentId) {
      throw new QuorumError('conflict', 'High availability acts on the selected environment only. Select this environment first.');
    }
    if (snap.topology === null || snap.topology.stale) {
      const why = snap.error ? ` (${snap.error.message})` : '';
      throw new QuorumError('ha-not-ready', `Quorum cannot read this environment's state servers right now${why}, so it cannot plan a change. Wait for the topology to load.`);
    }
    return snap.topology;
  };

  const statusOf = async (snap: TopologySnapshot): Promise<HaStatus | null> => {
    const environmentId = snap.environmentId;
    if (environmentId === null) return null;
    const t = snap.topology;
    const adminPassword = await options.credentials.source(environmentId);
    const applyOperationId = runningApply(environmentId);
    if (t === null) {
      return {
        environmentId,
        facts: snap.status === 'error' ? 'unavailable' : 'loading',
        factsError: snap.error,
        observedAt: null,
        stateServers: [],
        placementCandidates: [],
        votingCount: 0,
        hasVoteCount: 0,
        stops: [],
        hazards: [],
        adminPassword,
        quorum: null,
        quorumLost: false,
        recoverable: false,
        settling: false,
        applyOperationId,
        sentence: snap.status === 'error' ? `The state servers cannot be read: ${snap.error?.message ?? 'unknown error'}` : 'Reading the state servers…',
      };
    }
    const servers = t.machines.filter((m) => m.isStateServer).map(haMachine);
    const quorumLost = t.quorum.voting > 0 && !t.quorum.holds;
    const failed = failedStateServers(t);
    const recoverable = !quorumLost && !t.stale && failed.length > 0;
    const settling = isSettling(t);
    const sentence = quorumLost
      ? `${t.quorum.sentence} Only restoring a backup recovers.`
      : recoverable
        ? `State server${failed.length === 1 ? '' : 's'} ${failed.join(', ')} ${failed.length === 1 ? 'is' : 'are'} down; a majority remains. Follow the recovery steps.`
        : applyOperationId !== null || settling
          ? 'A change is under way: wait for every state server to show has-vote.'
          : t.quorum.sentence;
    return {
      environmentId,
      facts: t.stale ? 'stale' : 'ready',
      factsError: snap.error,
      observedAt: t.observedAt,
      stateServers: servers,
      placementCandidates: placementCandidates(t),
      votingCount: servers.filter((m) => m.wantsVote).length,
      hasVoteCount: servers.filter((m) => m.hasVote).length,
      stops: stopsOf(t),
      hazards: hazardsOf(t),
      adminPassword,
      quorum: t.quorum,
      quorumLost,
      recoverable,
      settling,
      applyOperationId,
      sentence,
    };
  };

  const connect = async (environmentId: string, credentials: ApiCredentials, signal?: AbortSignal) => {
    const t = options.topology.snapshot().topology;
    const preferred = t === null ? [] : [...t.machines].sort((a, b) => Number(b.isPrimary) - Number(a.isPrimary)).filter((m) => m.isStateServer && m.reachable && m.address !== null).map((m) => m.address as string);
    try {
      return await options.openApi(environmentId, credentials, preferred, signal);
    } catch (error) {
      if (error instanceof QuorumError && error.code === 'juju-login-refused' && credentials.source === 'entered') options.credentials.forget(environmentId, credentials.password);
      throw error;
    }
  };

  const waitForVotes = async (ctx: OperationContext, environmentId: string, changes: StateServersChanges, emit: (p: Omit<HaApplyProgress, 'operationId' | 'environmentId'>) => void, lines: string[], matched: boolean) => {
    const ids = (tags: readonly string[] | undefined) => (tags ?? []).map(machineIdFromTag).filter((id): id is string => id !== null);
    const added = ids(changes.added);
    const wanted = new Set([...added, ...ids(changes.promoted), ...ids(changes.converted)]);
    const deadline = Date.now() + settleTimeoutMs;
    let lastKey = '';
    for (;;) {
      if (ctx.signal.aborted) {
        throw new QuorumError('cancelled', 'Stopped waiting for the new state servers. The ensure-availability call itself was made and is not undone: Juju goes on adding and promoting them.');
      }
      const t = options.topology.snapshot().topology;
      if (t !== null && t.environmentId === environmentId && !t.stale) {
        const byId = new Map(t.machines.map((m) => [m.id, m]));
        const notStarted = added.filter((id) => byId.get(id)?.agentState !== 'started');
        const noVote = t.machines.filter((m) => m.isStateServer && (m.voteStatus === 'adding-vote' || (wanted.has(m.id) && m.voteStatus !== 'has-vote'))).map((m) => m.id);
        const missing = [...wanted].filter((id) => !byId.has(id));
        const phase = notStarted.length > 0 || missing.length > 0 ? 'waiting-for-machines' : 'waiting-for-votes';
        const machines = t.machines.filter((m) => m.isStateServer || wanted.has(m.id)).map((m) => ({ machineId: m.id, agentState: m.agentState, voteStatus: m.voteStatus }));
        const key = JSON.stringify(machines);
        if (key !== lastKey) {
          lastKey = key;
          emit({ phase: notStarted.length + noVote.length + missing.length === 0 ? 'done' : phase, machines, lines, matchedPreview: matched });
          const summary = machines.map((m) => `${m.machineId}: ${m.agentState}${m.voteStatus ? `, ${m.voteStatus}` : ''}`).join('; ');
          ctx.progress({ phase, message: `Machines ${summary}`, step: 2, steps: 3 });
        }
        if (notStarted.length === 0 && noVote.length === 0 && missing.length === 0) return;
      }
      if (Date.now() > deadline) {
        throw new QuorumError('timeout', `The new state servers did not all reach has-vote within ${Math.round(settleTimeoutMs / 60_000)} min. Juju's change goes on; check the machines (juju status) before running ensure-availability again.`);
      }
      await delay(pollMs);
    }
  };

  return {
    async status(environmentId) {
      const snap = await snapshotFor(environmentId);
      if (snap.environmentId !== environmentId) {
        const other = await statusOf({ environmentId, status: 'error', topology: null, error: null });
        return { ...other!, factsError: { code: 'conflict', message: 'Select this environment to see its state servers.' }, sentence: 'Select this environment to see its state servers.' };
      }
      return (await statusOf(snap))!;
    },
    statusOf,

    async preview(spec) {
      return computePreview(await liveTopology(spec.environmentId), spec).preview;
    },

    async apply(request) {
      const environmentId = request.environmentId;
      const t = await liveTopology(environmentId);
      if (t.quorum.voting > 0 && !t.quorum.holds) {
        throw new QuorumError('quorum-lost', `${t.quorum.sentence} Juju cannot change the state servers without a primary; only restoring a backup recovers.`);
      }
      const parsed = parseSpec(request);
      if (!parsed.ok) throw new QuorumError('invalid-input', parsed.error);
      const hazards = hazardsOf(t);
      if (hazards.length > 0 && request.overrideRerunGuard !== true) {
        throw new QuorumError('ha-not-ready', `Not running ensure-availability again yet: ${hazards.map((h) => h.reason).join(' ')} Override only if you are sure.`, {
          details: { machines: hazards.map((h) => h.id).join(',') },
        });
      }
      const credentials = await options.credentials.require(environmentId);
      const { preview, expected } = computePreview(t, request);
      const title = `ensure-availability -n ${request.n}`;
      return options.operations.start(
        'ha.apply',
        { environmentId, title, exclusiveKey: `ha:${environmentId}`, initialProgress: { phase: 'calling-api', message: 'Calling HighAvailability.EnsureAvailability', step: 1, steps: 3 } },
        async (ctx): Promise<HaApplyResult> => {
          const started = Date.now();
          const emit = (p: Omit<HaApplyProgress, 'operationId' | 'environmentId'>) => options.emitApplyProgress({ operationId: ctx.operationId, environmentId, ...p });
          const watcher = `ha:${ctx.operationId}`;
          options.topology.watch(watcher, true);
          const renew = setInterval(() => options.topology.watch(watcher, true), 10_000);
          try {
            emit({ phase: 'calling-api', machines: [], lines: null, matchedPreview: null });
            if (hazards.length > 0) ctx.log(`Re-run guard overridden by the operator: ${hazards.map((h) => h.reason).join(' ')}`, 'warning');
            const client = await connect(environmentId, credentials, ctx.signal);
            let changes: StateServersChanges;
            try {
              changes = await client.ensureAvailability(parsed.value, { signal: ctx.signal });
            } finally {
              client.close();
            }
            const lines = formatEnsureAvailabilityResult(changes);
            const comparison = expected === null ? { same: false, differences: [`the preview expected Juju to refuse: ${preview.error ?? ''}`] } : sameChanges(expected, changes);
            for (const line of lines.length > 0 ? lines : ['Juju made no changes (the state servers already match).']) ctx.log(line);
            for (const d of comparison.differences) ctx.log(`Differs from the preview: ${d}`, 'warning');
            const removed = (changes.removed ?? []).map(machineIdFromTag).filter((id): id is string => id !== null);
            if (removed.length > 0) former.set(environmentId, new Set([...formerOf(environmentId), ...removed]));
            void options.topology.refresh().catch(() => undefined);
            await waitForVotes(ctx, environmentId, changes, emit, lines, comparison.same);
            ctx.progress({ phase: 'done', message: 'Every state server that wants a vote has one.', step: 3, steps: 3 });
            return { lines, changes, previewLines: preview.lines, matchedPreview: comparison.same, differences: [...comparison.differences], settledMs: Date.now() - started };
          } finally {
            clearInterval(renew);
            options.topology.watch(watcher, false);
          }
        },
      );
    },

    async setAdminPassword(environmentId, password) {
      options.credentials.enter(environmentId, password);
      const credentials: ApiCredentials = { user: (await options.credentials.find(environmentId))?.user ?? 'admin', password, source: 'entered' };
      try {
        const client = await connect(environmentId, credentials);
        client.close();
        return { verified: true };
      } catch (error) {
        if (error instanceof QuorumError && error.code === 'juju-login-refused') throw error;
        log.info('Admin password kept unverified: the API could not be reached', { error: serializeError(error).message });
        return { verified: false };
      }
    },

    async removeMachines(environmentId, machineIds, force) {
      const credentials = await options.credentials.require(environmentId);
      const client = await connect(environmentId, credentials);
      try {
        await client.destroyMachines(machineIds, force);
      } finally {
        client.close();
      }
      const set = formerOf(environmentId);
      for (const id of machineIds) set.delete(id);
      void options.topology.refresh().catch(() => undefined);
      return { removed: [...machineIds] };
    },

    async recoveryPlan(environmentId) {
      const snap = await snapshotFor(environmentId);
      const t = snap.environmentId === environmentId ? snap.topology : null;
      return recoveryPlan(t, environmentId, formerOf(environmentId));
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
