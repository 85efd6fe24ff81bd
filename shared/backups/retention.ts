/**
 * Retention of backups: which archives a policy keeps and which it removes,
 * with the reason for each, as a pure function. Used by scheduled backups in
 * the console and by `quorum backups prune`; whoever calls it applies the
 * decisions (deletes files or server copies) and reports the reasons.
 *
 * Entries are the archives of ONE location (the local library, or the
 * server's stored backups) of ONE environment. Two rules hold whatever the
 * policy says:
 *  - an entry that cannot be identified as a Juju backup (no backup ID or no
 *    start time) is never removed: it might be anything;
 *  - the newest verified backup is never removed: a retention run must not
 *    leave the operator without a backup known to be whole.
 * Beyond those, an entry is removed when it is past the count (`keep`: the
 * newest N backups stay) or older than `maxAgeDays`; either limit may be
 * absent. No limit at all removes nothing.
 */

export interface RetentionPolicy {
  /** Keep at most this many backups (the newest ones); absent or null: no count limit. */
  readonly keep?: number | null;
  /** Remove backups started more than this many days ago; absent or null: no age limit. */
  readonly maxAgeDays?: number | null;
}

export interface RetentionEntry {
  /** What the caller deletes by: a local path or a server backup ID. */
  readonly key: string;
  /** The Juju backup ID, or null when the entry cannot be identified as a Juju backup. */
  readonly id: string | null;
  /** When the backup started (ISO-8601), or null when unknown. */
  readonly started: string | null;
  /** True when the archive's checksum is known to match its metadata. */
  readonly verified: boolean;
}

export type RetentionAction = 'keep' | 'remove';

export interface RetentionDecision {
  readonly entry: RetentionEntry;
  readonly action: RetentionAction;
  /** Why, in a few words, for the operator (`newest verified backup`, `older than 30 days`…). */
  readonly reason: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A policy error in words, or null when the policy is usable. */
export function retentionPolicyProblem(policy: RetentionPolicy): string | null {
  const { keep, maxAgeDays } = policy;
  if (keep !== undefined && keep !== null && (!Number.isInteger(keep) || keep < 1)) {
    return 'keep must be a whole number of backups, at least 1';
  }
  if (maxAgeDays !== undefined && maxAgeDays !== null && (!Number.isFinite(maxAgeDays) || maxAgeDays <= 0)) {
    return 'max age must be a positive number of days';
  }
  return null;
}

function startedMs(entry: RetentionEntry): number | null {
  if (entry.started === null) return null;
  const ms = Date.parse(entry.started);
  return Number.isNaN(ms) ? null : ms;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/**
 * One decision per entry, in the entries' order. Throws a `RangeError` for
 * an unusable policy (see `retentionPolicyProblem`).
 */
export function planRetention(entries: readonly RetentionEntry[], policy: RetentionPolicy, now: Date): RetentionDecision[] {
  const problem = retentionPolicyProblem(policy);
  if (problem !== null) throw new RangeError(problem);
  const keep = policy.keep ?? null;
  const maxAgeDays = policy.maxAgeDays ?? null;

  const identified = entries
    .map((entry) => ({ entry, ms: startedMs(entry) }))
    .filter((e): e is { entry: RetentionEntry; ms: number } => e.entry.id !== null && e.ms !== null)
    // Newest first; equal times by ID so the result does not depend on the input order.
    .sort((a, b) => b.ms - a.ms || (b.entry.id! < a.entry.id! ? -1 : b.entry.id! > a.entry.id! ? 1 : 0));

  const newestVerified = identified.find((e) => e.entry.verified)?.entry ?? null;
  const cutoff = maxAgeDays === null ? null : now.getTime() - maxAgeDays * DAY_MS;
  const decided = new Map<RetentionEntry, RetentionDecision>();

  identified.forEach(({ entry, ms }, index) => {
    const pastCount = keep !== null && index >= keep;
    const tooOld = cutoff !== null && ms < cutoff;
    if (!pastCount && !tooOld) {
      const why = [keep !== null ? `among the newest ${plural(keep, 'backup')}` : null, maxAgeDays !== null ? `within ${plural(maxAgeDays, 'day')}` : null]
        .filter((s) => s !== null)
        .join(', ');
      decided.set(entry, { entry, action: 'keep', reason: why || 'no retention limit set' });
      return;
    }
    if (entry === newestVerified) {
      decided.set(entry, { entry, action: 'keep', reason: 'newest verified backup: always kept' });
      return;
    }
    const reason = tooOld ? `older than ${plural(maxAgeDays!, 'day')}` : `beyond the newest ${plural(keep!, 'backup')}`;
    decided.set(entry, { entry, action: 'remove', reason });
  });

  return entries.map(
    (entry) =>
      decided.get(entry) ?? {
        entry,
        action: 'keep',
        reason: entry.id === null ? 'not identified as a Juju backup: never removed' : 'start time unknown: never removed',
      },
  );
}
