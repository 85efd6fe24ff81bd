import path from 'node:path';
import { formatMetadataBlock, NO_DOWNLOAD_WARNING } from '../../../shared/backups/metadata';
import type { CreateBackupResult } from '../../../shared/ipc/channels/backups';
import { bool, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty, UsageError } from '../errors';
import { awaitOperation } from '../operation';
import { progressSink } from '../progress';

interface CreateOptions {
  readonly environment: string | undefined;
  readonly quiet: boolean;
  readonly noDownload: boolean;
  readonly filename: string | undefined;
  readonly notes: string;
}

/** `juju backups create [<notes>] [--quiet] [--no-download | --filename F]` (1.25), plus `--notes N`. */
export const backupsCreate = defineCommand<CreateOptions>({
  path: ['backups', 'create'],
  args: '[<notes>]',
  purpose: 'create a backup',
  doc: `"create" requests that Juju create a backup of its state and print the
backup's unique ID. You may provide a note to associate with the backup.

The backup archive and associated metadata are stored remotely by Juju,
and a copy is downloaded to the current directory as
juju-backup-<date>-<time>.tar.gz (or --filename). With --no-download the
archive stays on the state server only, which is not recommended.

Quorum dumps juju-db through its own client over SSH (nothing is written to
the state server's disk) and stores the archive and its metadata where Juju
keeps them, so "juju backups list" and "juju backups restore" see it.`,
  flags: [
    environmentFlag,
    { key: 'quiet', names: ['quiet'], kind: 'bool', usage: 'do not print the metadata' },
    { key: 'filename', names: ['filename'], kind: 'string', placeholder: 'FILE', usage: 'download to this file (default juju-backup-<date>-<time>.tar.gz in the current directory)' },
    { key: 'noDownload', names: ['no-download'], kind: 'bool', usage: 'do not download the archive' },
    { key: 'notes', names: ['notes'], kind: 'string', placeholder: 'NOTES', usage: 'notes to store with the backup (same as the <notes> argument)' },
  ],
  init(parsed) {
    const noDownload = bool(parsed, 'noDownload');
    const filename = str(parsed, 'filename');
    if (noDownload && filename !== undefined) throw new UsageError('cannot mix --no-download and --filename');
    if (filename !== undefined && filename.trim() === '') throw new UsageError('missing filename');
    const [positional, ...rest] = parsed.positionals;
    checkEmpty(rest);
    const flagNotes = str(parsed, 'notes');
    if (flagNotes !== undefined && positional !== undefined) throw new UsageError('cannot mix --notes and a <notes> argument');
    return { environment: str(parsed, 'environment'), quiet: bool(parsed, 'quiet'), noDownload, filename, notes: flagNotes ?? positional ?? '' };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const services = ctx.services();
    const target = o.filename === undefined ? null : path.resolve(ctx.io.cwd, o.filename);
    const { operationId } = await services.backups.create(environmentId, {
      notes: o.notes,
      keepLocal: !o.noDownload,
      folder: target === null ? ctx.io.cwd : path.dirname(target),
      filename: target === null ? undefined : path.basename(target),
    });
    const result = await awaitOperation<CreateBackupResult>(services, operationId, progressSink(ctx.io, o.quiet));
    if (!o.quiet) ctx.io.stdout.write(formatMetadataBlock(result.metadata));
    ctx.io.stdout.write(`${result.metadata.id}\n`);
    if (o.noDownload) {
      if (!o.quiet) ctx.io.stderr.write(`WARNING: ${NO_DOWNLOAD_WARNING}\n`);
    } else if (!o.quiet && result.localPath !== null) {
      ctx.io.stdout.write(`downloading to ${o.filename ?? path.relative(ctx.io.cwd, result.localPath)}\n`);
    }
    return 0;
  },
});
