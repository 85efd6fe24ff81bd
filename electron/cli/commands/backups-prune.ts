import path from 'node:path';
import { applyRetention, type RetentionItem, type RetentionReport } from '../../services/backups/retention-runner';
import { bool, int, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty, CommandError, UsageError } from '../errors';

interface PruneOptions {
  readonly environment: string | undefined;
  readonly keep: number | null;
  readonly maxAgeDays: number | null;
  readonly includeServer: boolean;
  readonly dryRun: boolean;
  readonly folder: string | undefined;
}

/** `--max-age`: days (`30`, `30d`) or hours (`36h`). */
export function parseMaxAge(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([dh]?)$/.exec(value.trim());
  const n = m === null ? NaN : Number(m[1]);
  if (m === null || !(n > 0)) throw new UsageError(`invalid value ${JSON.stringify(value)} for flag --max-age: expected days (30 or 30d) or hours (36h)`);
  return m[2] === 'h' ? n / 24 : n;
}

function where(item: RetentionItem, cwd: string): string {
  if (item.location === 'server') return item.key === '' ? 'server' : `server ${item.key}`;
  const rel = path.relative(cwd, item.key);
  return `local ${rel.startsWith('..') ? item.key : rel}`;
}

/** One line per archive: what happened to it, and why (retention-runner's reasons). */
export function formatPruneReport(report: RetentionReport, cwd: string): string {
  const lines: string[] = [];
  const add = (label: string, items: readonly RetentionItem[]) => {
    for (const item of items) lines.push(`${label} ${where(item, cwd)}: ${item.reason}`);
  };
  add(report.dryRun ? 'would remove' : 'removed', report.removed);
  add('kept', report.kept);
  add('skipped', report.skipped);
  add('failed to remove', report.failed);
  if (lines.length === 0) lines.push('(no backups found)');
  return `${lines.join('\n')}\n`;
}

/**
 * `quorum backups prune --keep N --max-age D`: retention for one
 * environment, by `applyRetention` (shared with scheduled backups): never
 * the newest verified backup, never a file not identified as a Juju backup.
 */
export const backupsPrune = defineCommand<PruneOptions>({
  path: ['backups', 'prune'],
  args: '',
  purpose: 'remove old backups by count and age',
  doc: `"prune" applies a retention policy to the environment's backups in a
local folder (default: the current directory, where "create" and
"download" put archives; --folder to choose) and, with --include-server,
to the copies stored on the state server.

--keep N keeps the newest N backups; --max-age D removes backups started
more than D days ago (30 or 30d; 36h for hours). Either or both. Two rules
always hold: the newest verified backup is never removed, and a file that
cannot be identified as a Juju backup of this environment is never
touched. Each archive gets one line saying what happened to it and why.
--dry-run only prints the plan.

A cron line: 0 3 * * * cd /var/backups/juju && quorum backups create -e prod --quiet && quorum backups prune -e prod --keep 14 --max-age 30`,
  flags: [
    environmentFlag,
    { key: 'keep', names: ['keep'], kind: 'int', placeholder: 'N', usage: 'keep the newest N backups' },
    { key: 'maxAge', names: ['max-age'], kind: 'string', placeholder: 'D', usage: 'remove backups older than D days (30, 30d) or hours (36h)' },
    { key: 'includeServer', names: ['include-server'], kind: 'bool', usage: "also prune the state server's stored copies" },
    { key: 'dryRun', names: ['dry-run'], kind: 'bool', usage: 'print what would be removed; remove nothing' },
    { key: 'folder', names: ['folder'], kind: 'string', placeholder: 'DIR', usage: 'local folder to prune (default: the current directory)' },
  ],
  init(parsed) {
    checkEmpty(parsed.positionals);
    const keep = int(parsed, 'keep') ?? null;
    if (keep !== null && keep < 1) throw new UsageError(`invalid value "${keep}" for flag --keep: keep at least 1 backup`);
    const maxAge = str(parsed, 'maxAge');
    const maxAgeDays = maxAge === undefined ? null : parseMaxAge(maxAge);
    if (keep === null && maxAgeDays === null) throw new UsageError('specify --keep N, --max-age D, or both');
    return { environment: str(parsed, 'environment'), keep, maxAgeDays, includeServer: bool(parsed, 'includeServer'), dryRun: bool(parsed, 'dryRun'), folder: str(parsed, 'folder') };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const services = ctx.services();
    const report = await applyRetention({
      backups: services.backups,
      environmentId,
      policy: { keep: o.keep, maxAgeDays: o.maxAgeDays },
      includeServer: o.includeServer,
      folder: path.resolve(ctx.io.cwd, o.folder ?? '.'),
      dryRun: o.dryRun,
      log: services.log,
    });
    ctx.io.stdout.write(formatPruneReport(report, ctx.io.cwd));
    if (report.failed.length > 0) throw new CommandError(`${report.failed.length} backup${report.failed.length === 1 ? '' : 's'} could not be removed (see the lines above)`);
    return 0;
  },
});
