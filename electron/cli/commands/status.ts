import { QuorumError } from '../../../shared/errors';
import { str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { UsageError } from '../errors';
import { formatStatus, statusDocument } from '../status-format';

interface StatusOptions {
  readonly environment: string | undefined;
  readonly format: 'yaml' | 'json';
}

/** `quorum status`: the state servers in `juju status` words, and the quorum line. */
export const status = defineCommand<StatusOptions>({
  path: ['status'],
  args: '',
  purpose: 'output status information about the state servers',
  doc: `This command reports the environment's state servers as "juju status"
(yaml, the default, or json) shows them, with state-server-member-status
(has-vote, adding-vote, removing-vote, no-vote), followed by a "quorum"
section: voting members, how many are healthy, the majority needed, the
primary, and how many further failures the replica set survives.

It reads juju-db directly over SSH, so it works when Juju's API does not.`,
  flags: [environmentFlag, { key: 'format', names: ['format'], kind: 'string', placeholder: 'yaml|json', usage: 'specify output format (json|yaml) (default "yaml")' }],
  init(parsed) {
    if (parsed.positionals.length > 0) throw new UsageError(`unrecognized args: [${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}]`);
    const format = str(parsed, 'format') ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw new UsageError(`invalid value ${JSON.stringify(format)} for flag --format: unknown format ${JSON.stringify(format)}`);
    return { environment: str(parsed, 'environment'), format };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const services = ctx.services();
    const environment = await services.environments.get(environmentId);
    services.topology.select(environmentId);
    await services.topology.refresh();
    const snapshot = services.topology.snapshot();
    if (snapshot.topology === null) {
      const e = snapshot.error;
      throw e === null ? new QuorumError('internal', 'unable to obtain the current status') : new QuorumError(e.code, e.message);
    }
    ctx.io.stdout.write(formatStatus(statusDocument(environment.name, snapshot.topology), o.format));
    if (snapshot.error !== null) ctx.io.stderr.write(`${snapshot.error.message}\n`);
    return 0;
  },
});
