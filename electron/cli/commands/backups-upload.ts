import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatMetadataBlock, type BackupMetadata } from '../../../shared/backups/metadata';
import { readArchiveMetadata } from '../../services/archive/archive-reader';
import { bool, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty, CommandError, UsageError } from '../errors';
import { awaitOperation } from '../operation';
import { progressSink } from '../progress';

interface UploadOptions {
  readonly environment: string | undefined;
  readonly file: string;
  readonly verbose: boolean;
  readonly quiet: boolean;
}

/**
 * `juju backups upload <file> [--verbose] [--quiet]` as 1.25's code prints
 * it: the stored metadata block (read back), `--verbose` the uploaded
 * metadata first, `--quiet` only the new ID.
 */
export const backupsUpload = defineCommand<UploadOptions>({
  path: ['backups', 'upload'],
  args: '<filename>',
  purpose: 'store a backup archive file remotely in juju',
  doc: `"upload" sends a backup archive file to the state server, where it is
stored with its metadata (read from the archive's metadata.json) and gets
an ID, as if it had been created there. It prints the stored metadata.`,
  flags: [
    environmentFlag,
    { key: 'verbose', names: ['verbose'], kind: 'bool', usage: 'also print the metadata read from the file' },
    { key: 'quiet', names: ['quiet'], kind: 'bool', usage: 'only print the new ID' },
  ],
  init(parsed) {
    const [file, ...rest] = parsed.positionals;
    if (file === undefined || file === '') throw new UsageError('backup filename not specified');
    checkEmpty(rest);
    return { environment: str(parsed, 'environment'), file, verbose: bool(parsed, 'verbose'), quiet: bool(parsed, 'quiet') };
  },
  async run(ctx, o) {
    const file = path.resolve(ctx.io.cwd, o.file);
    const st = await stat(file).catch(() => null);
    if (st === null || !st.isFile()) throw new CommandError(`${o.file} is not a file`);
    if (!/\.(tar\.gz|tgz)$/i.test(file)) {
      throw new CommandError(`${o.file} does not look like a Juju backup archive (juju-backup-*.tar.gz); rename it with a .tar.gz extension if it is one`);
    }
    const environmentId = await ctx.environmentId(o.environment);
    const services = ctx.services();
    const local: BackupMetadata | null = o.verbose && !o.quiet ? await readArchiveMetadata(file) : null;
    await services.backups.library.useFolder(path.dirname(file));
    const { operationId } = services.backups.upload(environmentId, file);
    const { metadata } = await awaitOperation<{ metadata: BackupMetadata }>(services, operationId, progressSink(ctx.io, o.quiet));
    if (o.quiet) {
      ctx.io.stdout.write(`${metadata.id}\n`);
      return 0;
    }
    // Juju reads the stored metadata back with a second call.
    const stored = (await services.backups.info(environmentId, { id: metadata.id })).metadata;
    if (local !== null) ctx.io.stdout.write(`Uploaded metadata:\n${formatMetadataBlock(local)}\n`);
    ctx.io.stdout.write(formatMetadataBlock(stored));
    return 0;
  },
});
