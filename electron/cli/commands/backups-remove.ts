import { str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { oneId } from './backups-info';

/** `juju backups remove <ID>`: `successfully removed: <ID>`. */
export const backupsRemove = defineCommand<{ readonly environment: string | undefined; readonly id: string }>({
  path: ['backups', 'remove'],
  args: '<ID>',
  purpose: 'delete a backup',
  doc: '"remove" removes a backup\'s archive and metadata from the state server. Local copies are left alone.',
  flags: [environmentFlag],
  init: (parsed) => ({ environment: str(parsed, 'environment'), id: oneId(parsed.positionals) }),
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    await ctx.services().backups.remove(environmentId, o.id);
    ctx.io.stdout.write(`successfully removed: ${o.id}\n`);
    return 0;
  },
});
