import path from 'node:path';
import { downloadFilenameFor } from '../../../shared/backups/metadata';
import { bool, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { UsageError } from '../errors';
import { awaitOperation } from '../operation';
import { progressSink } from '../progress';
import { oneId } from './backups-info';

interface DownloadOptions {
  readonly environment: string | undefined;
  readonly id: string;
  readonly filename: string | undefined;
  readonly quiet: boolean;
}

/** `juju backups download <ID> [--filename F]`: prints the local filename. */
export const backupsDownload = defineCommand<DownloadOptions>({
  path: ['backups', 'download'],
  args: '<ID>',
  purpose: 'get an archive file',
  doc: `"download" retrieves a backup archive file from the state server, checks
its SHA-1 against the stored checksum, and prints the local filename
(default juju-backup-<ID>.tar.gz in the current directory).`,
  flags: [
    environmentFlag,
    { key: 'filename', names: ['filename'], kind: 'string', placeholder: 'FILE', usage: 'download target' },
    { key: 'quiet', names: ['quiet'], kind: 'bool', usage: 'no progress' },
  ],
  init(parsed) {
    const filename = str(parsed, 'filename');
    if (filename !== undefined && filename.trim() === '') throw new UsageError('missing filename');
    return { environment: str(parsed, 'environment'), id: oneId(parsed.positionals), filename, quiet: bool(parsed, 'quiet') };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const services = ctx.services();
    const shown = o.filename ?? downloadFilenameFor(o.id);
    const target = path.resolve(ctx.io.cwd, shown);
    const { operationId } = services.backups.download(environmentId, o.id, path.dirname(target), path.basename(target));
    await awaitOperation(services, operationId, progressSink(ctx.io, o.quiet));
    ctx.io.stdout.write(`${shown}\n`);
    return 0;
  },
});
