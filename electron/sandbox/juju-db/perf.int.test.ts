import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, hostFor, makeCluster, startReplicaSet, type TestCluster } from './test-support';

let t: TestCluster;
let client: MongoClient;
const N = 100_000;

beforeAll(async () => {
  t = await makeCluster({ profile: '6.0' });
  await startReplicaSet(t, ['0', '1', '2']);
  client = await connect(t.cluster, '0', undefined, { monitorCommands: true });
});

afterAll(async () => {
  await client?.close();
  await t?.dispose();
});

function mib(n: number): string {
  return (n / 1048576).toFixed(1);
}

describe('juju-db throughput', () => {
  it(`streams a find over ${N} documents in batches without materialising it`, async () => {
    const coll = client.db('bench').collection('docs');
    const insertStart = Date.now();
    for (let b = 0; b < N; b += 10_000) {
      await coll.insertMany(Array.from({ length: 10_000 }, (_, i) => ({ i: b + i, name: `machine-${b + i}`, life: 'alive', jobs: ['JobHostUnits'], pad: 'x'.repeat(150) })), { ordered: false });
    }
    const insertMs = Date.now() - insertStart;

    let getMores = 0;
    const onStart = (e: { commandName: string }) => {
      if (e.commandName === 'getMore') getMores++;
    };
    client.on('commandStarted', onStart);
    global.gc?.();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 20);
    const start = Date.now();
    let n = 0;
    let sum = 0;
    for await (const d of coll.find({})) {
      n++;
      sum += d.i as number;
    }
    const ms = Date.now() - start;
    clearInterval(sampler);
    client.off('commandStarted', onStart);
    expect(n).toBe(N);
    expect(sum).toBe((N * (N - 1)) / 2);
    expect(getMores).toBeGreaterThan(0);

    const filteredStart = Date.now();
    const filtered = await coll.countDocuments({ i: { $gte: N / 2 }, life: 'alive' });
    const filteredMs = Date.now() - filteredStart;
    expect(filtered).toBe(N / 2);

    // Secondaries hold the same data (replicated, buffers shared).
    const sec = await connect(t.cluster, '2');
    expect(await sec.db('bench').collection('docs').estimatedDocumentCount()).toBe(N);
    await sec.close();

    console.log(
      [
        `insert ${N} docs (3-member set): ${insertMs} ms (${Math.round(N / (insertMs / 1000))} docs/s)`,
        `find ${N} docs via the driver: ${ms} ms (${Math.round(N / (ms / 1000))} docs/s, ${getMores} getMores)`,
        `filtered count over ${N} docs: ${filteredMs} ms`,
        `heap before ${mib(base.heapUsed)} MiB, peak during find ${mib(peakHeap)} MiB (+${mib(peakHeap - base.heapUsed)}); rss ${mib(base.rss)} → peak ${mib(peakRss)} MiB`,
      ].join('\n'),
    );
    // The whole result set is ~25 MB of BSON; streaming keeps growth well below a copy of it per member.
    expect(peakHeap - base.heapUsed).toBeLessThan(200 * 1048576);
  });

  it('moves a 64 MiB GridFS file through the primary', async () => {
    const bucket = new GridFSBucket(client.db('backups'), { bucketName: 'archives' });
    const data = randomBytes(64 * 1024 * 1024);
    const up0 = Date.now();
    const upload = bucket.openUploadStream('big.tar.gz');
    const pieces = Array.from({ length: 64 }, (_, i) => data.subarray(i * 1048576, (i + 1) * 1048576));
    await pipeline(Readable.from(pieces), upload);
    const upMs = Date.now() - up0;
    const down0 = Date.now();
    let bytes = 0;
    let same = true;
    for await (const c of bucket.openDownloadStream(upload.id)) {
      const buf = c as Buffer;
      if (!buf.equals(data.subarray(bytes, bytes + buf.length))) same = false;
      bytes += buf.length;
    }
    const downMs = Date.now() - down0;
    expect(bytes).toBe(data.length);
    expect(same).toBe(true);
    console.log(`GridFS 64 MiB: upload ${upMs} ms (${Math.round(64 / (upMs / 1000))} MiB/s), download ${downMs} ms (${Math.round(64 / (downMs / 1000))} MiB/s)`);
  });

  it('restarts a member holding the benchmark data', async () => {
    await t.cluster.stopMember('1');
    const t0 = Date.now();
    await t.cluster.startMember('1', hostFor('1'));
    const ms = Date.now() - t0;
    console.log(`restart of a member holding ~${N} docs + 64 MiB GridFS: ${ms} ms`);
    const c1 = await connect(t.cluster, '1');
    expect(await c1.db('bench').collection('docs').estimatedDocumentCount()).toBe(N);
    await c1.close();
  });
});
