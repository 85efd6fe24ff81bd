import type { HaApplyProgress, HaApplyResult } from '../../../shared/ipc/channels/ha';
import { validateStateServerCount } from '../../../shared/ha/ensure-availability';
import { QuorumError } from '../../../shared/errors';
import { bool, int, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty, UsageError } from '../errors';

interface EnsureOptions {
  readonly environment: string | undefined;
  readonly n: number;
  readonly series: string | undefined;
  readonly constraints: string | undefined;
  readonly placement: string[] | undefined;
  readonly wait: boolean;
}

/**
 * `juju ensure-availability [-n N] [--series S] [--constraints C] [--to
 * p,…]` (1.25): calls Juju's HighAvailability facade and prints its report
 * lines (`maintaining machines: 0`, `adding machines: 1, 2`, …; nothing for
 * a no-op) as soon as Juju answers; `--wait` then waits until every state
 * server that wants a vote has one.
 */
export const ensureAvailability = defineCommand<EnsureOptions>({
  path: ['ensure-availability'],
  args: '',
  purpose: 'ensure that sufficient state servers exist to provide redundancy',
  doc: `To ensure availability of deployed services, the Juju infrastructure
must itself be highly available. Ensure-availability must be called to
ensure that the specified number of state servers are made available.

An odd number of state servers is required. With no -n (or -n 0) the
current number of voting state servers is kept, or 3 when there is at most
one. The count cannot be reduced.

Quorum reaches Juju's API over SSH to a state server and logs in as the
environment's admin user with the password from its .jenv (the sandbox's
own for -e sandbox). It refuses to run again while a state server is still
adding its vote (LP 1384549).`,
  flags: [
    environmentFlag,
    { key: 'n', names: ['n'], kind: 'int', placeholder: 'N', usage: 'number of state servers to make available' },
    { key: 'series', names: ['series'], kind: 'string', placeholder: 'SERIES', usage: 'the charm series' },
    { key: 'constraints', names: ['constraints'], kind: 'string', placeholder: 'CONSTRAINTS', usage: 'additional machine constraints' },
    { key: 'to', names: ['to'], kind: 'string', placeholder: 'PLACEMENT', usage: 'the machine(s) to become state servers, bypasses constraints' },
    { key: 'wait', names: ['wait'], kind: 'bool', usage: 'after printing the report, wait until every new state server has a vote' },
  ],
  init(parsed) {
    checkEmpty(parsed.positionals);
    const n = int(parsed, 'n') ?? 0;
    const problem = validateStateServerCount(n, 'cli');
    if (problem !== null) throw new UsageError(problem);
    const to = str(parsed, 'to');
    return {
      environment: str(parsed, 'environment'),
      n,
      series: str(parsed, 'series'),
      constraints: str(parsed, 'constraints'),
      placement: to === undefined ? undefined : to.split(',').map((p) => p.trim()).filter((p) => p !== ''),
      wait: bool(parsed, 'wait'),
    };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    const services = ctx.services();
    services.topology.select(environmentId);
    await services.topology.refresh();
    const { operationId } = await services.ha.apply({
      environmentId,
      n: o.n,
      ...(o.series === undefined ? {} : { series: o.series }),
      ...(o.constraints === undefined ? {} : { constraints: o.constraints }),
      ...(o.placement === undefined ? {} : { placement: o.placement }),
    });
    let unsubscribe = () => {};
    let printed = false;
    const print = (lines: readonly string[]) => {
      if (printed) return;
      printed = true;
      ctx.io.stdout.write(lines.map((l) => `${l}\n`).join(''));
    };
    try {
      await new Promise<void>((resolve, reject) => {
        unsubscribe = services.events.subscribe((message) => {
          if (message.event !== 'ha.applyProgress') return;
          const p = message.payload as HaApplyProgress;
          if (p.operationId !== operationId || p.lines === null) return;
          print(p.lines);
          if (!o.wait) resolve();
        });
        void services.operations.whenFinished(operationId).then((done) => {
          if (done.state === 'succeeded') {
            print((done.result as HaApplyResult).lines);
            resolve();
          } else reject(new QuorumError(done.error?.code ?? 'internal', done.error?.message ?? 'ensure-availability failed'));
        });
      });
    } finally {
      unsubscribe();
    }
    // Juju's change goes on in Juju; only Quorum's waiting for the votes stops here.
    if (!o.wait) services.operations.cancel(operationId);
    return 0;
  },
});
