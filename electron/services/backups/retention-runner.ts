import path from 'node:path';
import { planRetention, retentionPolicyProblem, type RetentionEntry, type RetentionPolicy } from '../../../shared/backups/retention';
import { QuorumError } from '../../../shared/errors';
import type { Logger } from '../log';
import type { BackupsService } from './backups-service';

/**
 * Applies a retention policy to one environment's backups: the local
 * library's archives whose metadata names this environment's UUID and,
 * when asked, the server's stored copies. The decisions come from the pure
 * `planRetention` (shared/backups/retention.ts), one location at a time;
 * this module only gathers the entries and carries the removals out, local
 * archives with `deleteLocal`, server copies with `remove`.
 *
 * Never touched: files in the folder that are not readable Juju backups
 * (the list's `invalid`), archives of other environments, and every
 * location that could not be listed. Used by scheduled backups and by
 * `quorum backups prune --keep N --max-age D [--include-server] [--dry-run]`.
 */

export type RetentionLocation = 'local' | 'server';

export interface RetentionItem {
  readonly location: RetentionLocation;
  /** The local archive's path, or the server copy's backup ID. */
  readonly key: string;
  /** The Juju backup ID, or null when the file is not identified as a Juju backup. */
  readonly id: string | null;
  readonly started: string | null;
  /** Why, in words (`older than 30 days`, `newest verified backup: always kept`, the error…). */
  readonly reason: string;
}

export interface RetentionReport {
  readonly environmentId: string;
  readonly dryRun: boolean;
  /** Removed, or (dry run) that would be removed. */
  readonly removed: readonly RetentionItem[];
  readonly kept: readonly RetentionItem[];
  /** Never considered for removal: not identified as a Juju backup, or a location that could not be read. */
  readonly skipped: readonly RetentionItem[];
  /** Planned for removal, but the removal failed (the reason is the error, in words). */
  readonly failed: readonly RetentionItem[];
}

export interface ApplyRetentionInput {
  readonly backups: Pick<BackupsService, 'list' | 'deleteLocal' | 'remove' | 'environmentUuid'>;
  readonly environmentId: string;
  readonly policy: RetentionPolicy;
  /** Also apply the policy to the server's stored copies (default false: local library only). */
  readonly includeServer?: boolean;
  /** The local folder to prune (default: the library's default folder). */
  readonly folder?: string;
  readonly now?: Date;
  /** Plan and report only; nothing is deleted. */
  readonly dryRun?: boolean;
  readonly log?: Logger;
}

type Listed = Awaited<ReturnType<BackupsService['list']>>;

function messageOf(error: unknown): string {
  return error instanceof QuorumError ? error.message : 'it could not be removed (the details are in the log)';
}

/** This environment's UUID: from its state servers, else from the server copies listed; null when neither says. */
async function uuidFor(input: ApplyRetentionInput, listed: Listed): Promise<string | null> {
  try {
    return await input.backups.environmentUuid(input.environmentId);
  } catch {
    const fromServer = new Set(listed.items.filter((i) => i.location !== 'local').map((i) => i.metadata.environment));
    return fromServer.size === 1 ? [...fromServer][0]! : null;
  }
}

export async function applyRetention(input: ApplyRetentionInput): Promise<RetentionReport> {
  const problem = retentionPolicyProblem(input.policy);
  if (problem !== null) throw new QuorumError('invalid-input', `The retention policy is not usable: ${problem}.`);
  const now = input.now ?? new Date();
  const dryRun = input.dryRun ?? false;
  const log = input.log?.child('retention');
  const removed: RetentionItem[] = [];
  const kept: RetentionItem[] = [];
  const skipped: RetentionItem[] = [];
  const failed: RetentionItem[] = [];

  const listed = await input.backups.list(input.environmentId, input.folder);

  for (const bad of listed.invalid) {
    skipped.push({ location: 'local', key: bad.localPath, id: null, started: null, reason: `not identified as a Juju backup (${bad.reason}): never removed` });
  }

  const apply = async (location: RetentionLocation, entries: RetentionEntry[], remove: (key: string) => Promise<unknown>): Promise<void> => {
    for (const decision of planRetention(entries, input.policy, now)) {
      const { key, id, started } = decision.entry;
      const item: RetentionItem = { location, key, id, started, reason: decision.reason };
      if (decision.action === 'keep') {
        (id === null ? skipped : kept).push(item);
        continue;
      }
      if (dryRun) {
        removed.push(item);
        continue;
      }
      try {
        await remove(key);
        removed.push(item);
        log?.info(`retention removed ${location === 'local' ? path.basename(key) : `server copy ${key}`}: ${decision.reason}`, { environmentId: input.environmentId });
      } catch (error) {
        failed.push({ ...item, reason: `${decision.reason}, but ${messageOf(error)}` });
        log?.warn(`retention could not remove ${key}`, { environmentId: input.environmentId, error: String(error) });
      }
    }
  };

  const uuid = await uuidFor(input, listed);
  const local = listed.items.filter((i) => i.localPath !== null);
  if (uuid === null) {
    for (const i of local) {
      skipped.push({ location: 'local', key: i.localPath!, id: i.id, started: i.metadata.started, reason: 'the environment could not be reached to tell which archives are its own: nothing removed' });
    }
  } else {
    const mine = local.filter((i) => i.metadata.environment === uuid);
    await apply(
      'local',
      mine.map((i) => ({ key: i.localPath!, id: i.id || null, started: i.metadata.started, verified: i.checksumState === 'verified' })),
      (key) => input.backups.deleteLocal(key),
    );
  }

  if (input.includeServer) {
    if (listed.serverError) {
      skipped.push({ location: 'server', key: '', id: null, started: null, reason: `the server's copies were not pruned: ${listed.serverError.message}` });
    } else {
      const onServer = listed.items.filter((i) => i.location !== 'local');
      await apply(
        'server',
        onServer.map((i) => ({ key: i.id, id: i.id || null, started: i.metadata.started, verified: i.checksumState === 'verified' })),
        (key) => input.backups.remove(input.environmentId, key),
      );
    }
  }

  log?.info(`retention ${dryRun ? 'planned (dry run)' : 'applied'}: ${removed.length} removed, ${kept.length} kept, ${skipped.length} skipped, ${failed.length} failed`, {
    environmentId: input.environmentId,
  });
  return { environmentId: input.environmentId, dryRun, removed, kept, skipped, failed };
}
