import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testMongoProfile } from '../testing/mongo-profile';
import { startSandbox, type Sandbox } from '../sandbox';
import type { Namespace } from '../../services/mongo/juju-db-client';
import { countDocuments, openMemberClient } from '../testing/member-client';
import { parseAgentConf } from '../tree/agent-conf';

/** The scale option: a bigger juju-db for benchmarks, and a 1-state-server shape. */

let home: string | undefined;
let sandbox: Sandbox | undefined;

afterAll(async () => {
  await sandbox?.stop();
  if (home) await fs.rm(home, { recursive: true, force: true });
});

describe('sandbox scale and shape', () => {
  it('grows juju-db to the requested size with services, units and settings', async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-scale-'));
    const mb = 6;
    sandbox = await startSandbox({ home, ...testMongoProfile(), scale: mb, machines: { stateServers: 1, workloads: 2 } });
    const d = sandbox.describe();
    expect(d.machines.map((m) => [m.id, m.stateServer])).toEqual([
      ['0', true],
      ['1', false],
      ['2', false],
    ]);
    const key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
    const conf = parseAgentConf(await fs.readFile(path.join(d.dir, 'machines/0/root/var/lib/juju/agents/machine-0/agent.conf'), 'utf8'));
    const c = await openMemberClient(d.machines[0]!.ssh.port, key, d.environment.caCertPem, { username: 'admin', password: String(conf.oldpassword) });
    try {
      const juju = (collection: string): Namespace => ({ db: 'juju', collection });
      const extra = (await countDocuments(c.client, juju('services'))) - 2;
      expect(extra).toBeGreaterThan(100);
      expect(await countDocuments(c.client, juju('units'))).toBe(3 + 3 * extra);
      let bytes = 0;
      for (const coll of ['services', 'units', 'settings']) {
        for await (const doc of c.client.find(juju(coll), {})) bytes += JSON.stringify(doc).length;
      }
      expect(bytes).toBeGreaterThan(mb * 1024 * 1024);
      // Scale units live on the workload machines only.
      const machines = (await c.client.command('juju', { distinct: 'units', key: 'machineid' }))['values'] as string[];
      expect(machines.sort()).toEqual(['1', '2']);
    } finally {
      await c.close();
    }
  });
});
