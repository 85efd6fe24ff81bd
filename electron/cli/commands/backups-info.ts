import { formatMetadataBlock } from '../../../shared/backups/metadata';
import { str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty, UsageError } from '../errors';

interface IdOptions {
  readonly environment: string | undefined;
  readonly id: string;
}

/** The `<ID>` argument of info/download/remove: `missing ID` when absent, as Juju's Init says. */
export function oneId(positionals: readonly string[]): string {
  const [id, ...rest] = positionals;
  if (id === undefined || id === '') throw new UsageError('missing ID');
  checkEmpty(rest);
  return id;
}

/** `juju backups info <ID>`: the metadata block. */
export const backupsInfo = defineCommand<IdOptions>({
  path: ['backups', 'info'],
  args: '<ID>',
  purpose: 'get metadata',
  doc: '"info" provides the metadata associated with a backup.',
  flags: [environmentFlag],
  init: (parsed) => ({ environment: str(parsed, 'environment'), id: oneId(parsed.positionals) }),
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const info = await ctx.services().backups.info(environmentId, { id: o.id });
    ctx.io.stdout.write(formatMetadataBlock(info.metadata));
    return 0;
  },
});
