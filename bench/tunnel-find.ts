/**
 * A `find` over a large collection through the SSH tunnel streams: the
 * sandbox runs in its own process (so this process's memory is Quorum's
 * alone), 100k documents of ~1 KB go into a scratch collection through the
 * connection layer's juju-db client, then a cursor (batchSize 1000) reads
 * them all back through `StateServerSession.mongo()`, sampling heap and RSS
 * every 1k documents. Prints docs/s, MB/s and the peak growth of heap and
 * RSS against the collection's size.
 *
 * `--mongo` picks the sandbox's juju-db profile: 2.4 (the default, Quorum's
 * legacy client: OP_INSERT + getLastError, OP_QUERY/OP_GET_MORE) or 6.0
 * (the official driver).
 *
 *   npx tsx bench/tunnel-find.ts [--mongo 2.4|6.0] [--docs 100000] [--bytes 1024] [--batch 1000] [--rounds 2]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SecretRegistry } from '../shared/redact';
import { launchSandboxProcess } from '../electron/sandbox/sandbox-client';
import type { JujuDbProfile } from '../electron/sandbox/types';
import { fillScratch, iterateMeasuring } from '../electron/sandbox/testing/cursor-memory';
import { ConnectionManager } from '../electron/services/connection/connection-manager';
import { targetForSandbox } from '../electron/services/environments/targets';
import { createMemoryLogger } from '../electron/services/log';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    bytes: { type: 'string', default: '1024' },
    batch: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
    mongo: { type: 'string', default: '2.4' },
  },
});
if (values.mongo !== '2.4' && values.mongo !== '6.0') throw new Error(`--mongo must be 2.4 or 6.0, not ${values.mongo}`);
const MONGO: JujuDbProfile = values.mongo;
const DOCS = Number(values.docs);
const BYTES = Number(values.bytes);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const MB = 1e6;
const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-tunnel-find-'));
  const t0 = performance.now();
  const sandbox = await launchSandboxProcess({ home, mongo: MONGO });
  console.log(`sandbox (child process ${sandbox.pid}) ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const secrets = new SecretRegistry();
  const manager = new ConnectionManager({ quorumHome: home, secrets, logger: createMemoryLogger(secrets) });
  try {
    const target = targetForSandbox(await sandbox.describe());
    const session = await manager.open(target).stateServer(target.stateServers[0]!.address);
    const client = await session.mongo();
    const ns = { db: 'scratch', collection: 'tunnelFind' };
    console.log(`juju-db runs MongoDB ${client.server.version}: ${client.server.protocol} client, ${client.server.authMechanism}`);
    const i0 = performance.now();
    const total = await fillScratch(client, ns, DOCS, BYTES, 1000);
    const insertS = (performance.now() - i0) / 1000;
    console.log(`inserted ${DOCS} documents, ${(total / MB).toFixed(1)} MB of BSON, in ${insertS.toFixed(1)} s (${(DOCS / insertS).toFixed(0)} docs/s) through the tunnel`);

    for (let round = 1; round <= ROUNDS; round++) {
      const r = await iterateMeasuring(client, ns, { batchSize: BATCH, sampleEvery: 1000 });
      if (r.docs !== DOCS) throw new Error(`read ${r.docs} documents, expected ${DOCS}`);
      const s = r.ms / 1000;
      console.log(
        `round ${round}: ${r.docs} docs in ${s.toFixed(2)} s — ${(r.docs / s).toFixed(0)} docs/s, ${(r.bytes / MB / s).toFixed(1)} MB/s; ` +
          `peak heap growth ${(r.peakHeapGrowth / MiB).toFixed(1)} MiB (retained after GC ${(r.peakRetainedGrowth / MiB).toFixed(1)} MiB), ` +
          `peak RSS growth ${(r.peakRssGrowth / MiB).toFixed(1)} MiB; collection ${(total / MiB).toFixed(1)} MiB ` +
          `(peak heap growth = ${((100 * r.peakHeapGrowth) / total).toFixed(1)} % of it)`,
      );
    }
    await client.command(ns.db, { drop: ns.collection }, { secondaryOk: false });
  } finally {
    await manager.close();
    await sandbox.stop();
    await fs.rm(home, { recursive: true, force: true });
  }
}

await main();
