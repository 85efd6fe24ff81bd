import { expect, it } from 'vitest';
import { Peergrouper } from './peergrouper';

/**
 * A peergrouper whose machine agent was stopped acts no more, even before
 * the supervisor's next reconcile stops the worker: a restore stops the
 * host's own agent and then initiates a new replica set on the same member,
 * which a lingering pass would otherwise reconfigure from the restored
 * state-server list.
 */
it('a pass with the machine agent stopped is idle and does not even connect to juju-db', async () => {
  let asked = 0;
  const pg = new Peergrouper(
    '5',
    {
      envUuid: 'e',
      // Port 1 is closed: a pass that connected would reject.
      memberPort: () => 1,
      agentRunning: () => {
        asked += 1;
        return false;
      },
    },
    { username: 'admin', password: 'unused', caPem: '' },
  );
  await expect(pg.pass()).resolves.toBe('idle');
  expect(asked).toBe(1);
});
