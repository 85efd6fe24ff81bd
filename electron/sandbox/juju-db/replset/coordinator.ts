/**
 * Drives the replica set the way heartbeats and elections drive a real one:
 * who can see whom (running + healthy), config and term propagation,
 * elections after `electionTimeoutMillis` when a majority of voters is up
 * (highest priority, then freshest optime, then lowest `_id`; voters refuse
 * candidates staler than themselves), step-down when the majority is lost,
 * and pull replication from the primary's oplog with catch-up or full resync.
 */
import { Timestamp } from 'bson';
import type { ReplicaNode } from '../node';
import { compareOpTime } from '../oplog';
import { majorityOf, memberByHost, votingMembers, type ReplSetConfig } from './config';
import { MemberState } from './member-state';

const TICK_MS = 100;
const APPLY_BATCH = 5000;
const INITIAL_SYNC_DELAY_MS = 300;

function newer(a: ReplSetConfig, b: ReplSetConfig): boolean {
  if (a.term !== b.term && a.term >= 0 && b.term >= 0 && a.version === b.version) return a.term > b.term;
  return a.version > b.version;
}

export class Coordinator {
  private timer: NodeJS.Timeout | null = null;
  private replicationScheduled = false;
  private noPrimarySince: number | null = null;
  private lostMajoritySince: number | null = null;
  private immediateElection = false;

  constructor(
    private readonly nodes: () => ReplicaNode[],
    private readonly electionTimeoutMillis: number,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Members `node` can reach: all running healthy members, or only itself when unhealthy. */
  visibleFrom(node: ReplicaNode): ReplicaNode[] {
    if (node.status !== 'running') return [];
    if (!node.healthy) return [node];
    return this.nodes().filter((n) => n.status === 'running' && n.healthy);
  }

  requestElection(immediate: boolean): void {
    if (immediate) this.immediateElection = true;
    setImmediate(() => this.tick());
  }

  scheduleReplication(): void {
    if (this.replicationScheduled) return;
    this.replicationScheduled = true;
    setImmediate(() => {
      this.replicationScheduled = false;
      this.replicate();
    });
  }

  private timeout(cfg: ReplSetConfig | null): number {
    return cfg?.settings.electionTimeoutMillis ?? this.electionTimeoutMillis;
  }

  /** One round of heartbeats: propagate config/term, run elections, replicate. */
  tick(): void {
    const now = Date.now();
    const running = this.nodes().filter((n) => n.status === 'running' && n.store);
    const group = running.filter((n) => n.healthy);
    for (const n of running) {
      n.cursors.expire(now);
      if (!n.healthy && n.isPrimary) n.stepDown();
    }
    // Heartbeats and config propagation within the reachable group.
    let newest: ReplSetConfig | null = null;
    for (const n of group) if (n.config && (!newest || newer(n.config, newest))) newest = n.config;
    let maxTerm = 0;
    for (const n of group) maxTerm = Math.max(maxTerm, n.term);
    for (const n of group) {
      for (const o of group) if (o !== n) n.lastHeartbeat.set(o.host, new Date(now));
      let changed = false;
      if (newest && n.config !== newest && (!n.config ? memberByHost(newest, n.host) : newer(newest, n.config))) {
        if (!n.config) n.initialSyncPending = true;
        n.config = structuredClone(newest);
        changed = true;
      }
      if (n.term < maxTerm) {
        n.term = maxTerm;
        changed = true;
        if (n.isPrimary) n.stepDown();
      }
      if (changed) n.saveMeta();
    }
    if (!newest) return;
    this.runElection(group, newest, now);
    this.replicate();
  }

  private runElection(group: ReplicaNode[], cfg: ReplSetConfig, now: number): void {
    const inConfig = (n: ReplicaNode): boolean => !!n.config && !!memberByHost(n.config, n.host) && !!memberByHost(cfg, n.host);
    const voters = votingMembers(cfg);
    const upVoterNodes = group.filter((n) => inConfig(n) && (memberByHost(cfg, n.host)?.votes ?? 0) > 0);
    const hasMajority = upVoterNodes.length >= majorityOf(cfg) && voters.length > 0;
    const primaries = group.filter((n) => n.isPrimary);
    primaries.sort((a, b) => b.term - a.term);
    for (const extra of primaries.slice(1)) extra.stepDown();
    const primary = primaries[0];
    if (primary) {
      const pm = memberByHost(cfg, primary.host);
      if (!pm || pm.priority === 0 || pm.votes === 0) {
        primary.stepDown();
      } else if (!hasMajority) {
        this.lostMajoritySince ??= now;
        if (now - this.lostMajoritySince >= this.timeout(cfg)) primary.stepDown();
        return;
      } else {
        this.lostMajoritySince = null;
        this.noPrimarySince = null;
        this.immediateElection = false;
        return;
      }
    }
    this.lostMajoritySince = null;
    if (!hasMajority) {
      this.noPrimarySince ??= now;
      return;
    }
    this.noPrimarySince ??= now;
    if (!this.immediateElection && now - this.noPrimarySince < this.timeout(cfg)) return;
    const candidates = upVoterNodes.filter((n) => {
      const m = memberByHost(cfg, n.host)!;
      if (m.priority <= 0 || m.arbiterOnly || n.state !== MemberState.SECONDARY) return false;
      if (n.frozenUntil > now) return false;
      const supporters = upVoterNodes.filter((v) => compareOpTime(v.lastApplied, n.lastApplied) <= 0).length;
      return supporters >= majorityOf(cfg);
    });
    if (candidates.length === 0) return;
    candidates.sort((a, b) => {
      const ma = memberByHost(cfg, a.host)!;
      const mb = memberByHost(cfg, b.host)!;
      if (ma.priority !== mb.priority) return mb.priority - ma.priority;
      const c = compareOpTime(b.lastApplied, a.lastApplied);
      if (c !== 0) return c;
      return ma._id - mb._id;
    });
    const winner = candidates[0]!;
    const term = Math.max(...group.map((n) => n.term)) + 1;
    for (const n of group) {
      n.term = term;
      if (n.config && inConfig(n)) n.config.term = term;
    }
    cfg.term = term;
    winner.isPrimary = true;
    winner.syncSource = null;
    winner.electionTime = new Timestamp({ t: Math.floor(now / 1000), i: 1 });
    winner.electionDate = new Date(now);
    for (const n of group) n.saveMeta();
    winner.writeNoop({ msg: 'new primary' });
    this.noPrimarySince = null;
    this.immediateElection = false;
  }

  /** Pull replication for every secondary in the reachable group. */
  replicate(): void {
    const group = this.nodes().filter((n) => n.status === 'running' && n.healthy && n.store);
    const primary = group.find((n) => n.isPrimary);
    let more = false;
    for (const n of group) {
      if (n.isPrimary || !n.config || !memberByHost(n.config, n.host)) continue;
      let source = primary;
      if (!source) {
        source = group
          .filter((o) => o !== n && o.config && memberByHost(o.config, o.host) && !o.initialSyncPending && !o.initialSyncing)
          .sort((a, b) => compareOpTime(b.lastApplied, a.lastApplied))[0];
        if (source && compareOpTime(source.lastApplied, n.lastApplied) <= 0) source = undefined;
      }
      n.syncSource = source ?? null;
      if (!source || n.initialSyncing || n.resyncing) continue;
      if (n.initialSyncPending) {
        this.initialSync(n, source, true);
        continue;
      }
      more = this.pull(n, source) || more;
    }
    if (primary) primary.checkWaiters();
    if (more) this.scheduleReplication();
  }

  /** Apply the source's entries after ours; returns true if more remain. */
  private pull(n: ReplicaNode, source: ReplicaNode): boolean {
    const mine = n.store!;
    const theirs = source.store!;
    const last = mine.lastApplied;
    if (compareOpTime(last, theirs.lastApplied) === 0) return false;
    if (last.t < 0) {
      // No replicated history (a fresh member): copy everything.
      this.initialSync(n, source, true);
      return false;
    }
    const idx = theirs.oplog.indexOf(last);
    if (idx < 0) {
      // Ahead of a non-primary source: wait for a primary. Otherwise we are
      // too stale or diverged (writes the new primary never saw): resync.
      if (compareOpTime(last, theirs.lastApplied) > 0 && !source.isPrimary) return false;
      this.initialSync(n, source, false);
      return false;
    }
    let applied = 0;
    for (const e of theirs.oplog.iterate(idx + 1)) {
      mine.commit(e, false);
      if (++applied >= APPLY_BATCH) return true;
    }
    return false;
  }

  /** Copy the source's data and oplog (new member, or too stale / diverged to catch up). */
  private initialSync(n: ReplicaNode, source: ReplicaNode, fresh: boolean): void {
    if (fresh) n.initialSyncing = true;
    else n.resyncing = true;
    const timer = setTimeout(() => {
      if (n.status !== 'running' || !n.store || source.status !== 'running' || !source.store) {
        n.initialSyncing = false;
        n.resyncing = false;
        return;
      }
      const done = n.store.resetFrom(source.store);
      n.initialSyncPending = false;
      n.initialSyncing = false;
      n.resyncing = false;
      this.scheduleReplication();
      done.catch(() => undefined);
    }, fresh ? INITIAL_SYNC_DELAY_MS : 0);
    timer.unref?.();
  }
}
