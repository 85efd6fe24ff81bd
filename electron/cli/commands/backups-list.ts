import { formatMetadataBlock } from '../../../shared/backups/metadata';
import { bool, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty } from '../errors';

interface ListOptions {
  readonly environment: string | undefined;
  readonly brief: boolean;
  readonly verbose: boolean;
}

/** `juju backups list [--brief]`: the state server's backups; `--verbose` adds Quorum's local library. */
export const backupsList = defineCommand<ListOptions>({
  path: ['backups', 'list'],
  args: '',
  purpose: 'get all metadata',
  doc: `"list" provides the metadata associated with all backups stored on the
state server, one block per backup, or "(no backups found)".

--brief prints only the IDs, one per line. --verbose also lists the
archives in Quorum's local library (QUORUM_HOME/backups) that the state
server does not have, and after each block where its local copy is.`,
  flags: [
    environmentFlag,
    { key: 'brief', names: ['brief'], kind: 'bool', usage: 'only print IDs' },
    { key: 'verbose', names: ['verbose'], kind: 'bool', usage: 'also list local archives, with their paths' },
  ],
  init(parsed) {
    checkEmpty(parsed.positionals);
    return { environment: str(parsed, 'environment'), brief: bool(parsed, 'brief'), verbose: bool(parsed, 'verbose') };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const listed = await ctx.services().backups.list(environmentId);
    if (listed.serverError !== null) throw listed.serverError;
    const items = o.verbose ? listed.items : listed.items.filter((i) => i.location !== 'local');
    // Juju lists in the server's order: oldest first.
    const ordered = [...items].sort((a, b) => (a.metadata.started ?? '').localeCompare(b.metadata.started ?? ''));
    if (ordered.length === 0) {
      ctx.io.stdout.write('(no backups found)\n');
      return 0;
    }
    if (o.brief) {
      ctx.io.stdout.write(ordered.map((i) => `${i.id}\n`).join(''));
      return 0;
    }
    const blocks = ordered.map((i) => {
      const block = formatMetadataBlock(i.metadata);
      if (!o.verbose) return block;
      const where = i.location === 'server' ? 'on the state server only' : i.location === 'local' ? `local only: ${i.localPath}` : `local copy: ${i.localPath}`;
      return `${block}${'location:'.padEnd(17)}${where}\n`;
    });
    ctx.io.stdout.write(blocks.join('\n'));
    return 0;
  },
});
