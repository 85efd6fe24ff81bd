import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { calculateObjectSize, type Document } from 'bson';
import type { JujuDbClient, Namespace } from '../../services/mongo/juju-db-client';

/**
 * Measures what iterating a large `find` costs the client: documents and
 * bytes per second, and how far this process's heap and RSS grow while the
 * cursor is read in batches — the evidence that a find through the SSH
 * tunnel streams rather than holding the collection in memory. Shared by
 * `bench/tunnel-find.ts` and its integration test. Through `JujuDbClient`,
 * so it measures whichever implementation the server needs (the legacy
 * client's OP_QUERY/OP_GET_MORE on 2.4, the driver on 6.0).
 */

/** V8's collector, made callable without `--expose-gc` (only measurements use it). */
export function collectGarbage(): void {
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc !== 'function') {
    setFlagsFromString('--expose-gc');
    g.gc = runInNewContext('gc') as () => void;
  }
  g.gc!();
}

/** A ~`bytes`-sized document (BSON), different for every `i`. */
export function scratchDoc(i: number, bytes: number): Document {
  const pad = Math.max(0, bytes - 60);
  const seed = (i * 2654435761) >>> 0;
  const chunk = seed.toString(36).padStart(7, '0');
  return { _id: i, n: i, group: `g${i % 97}`, pad: chunk.repeat(Math.ceil(pad / chunk.length)).slice(0, pad) };
}

/** Inserts `count` documents of about `docBytes` each; returns their total BSON size. */
export async function fillScratch(
  client: JujuDbClient,
  ns: Namespace,
  count: number,
  docBytes: number,
  batch = 1000,
  onProgress?: (inserted: number) => void,
): Promise<number> {
  let total = 0;
  for (let start = 0; start < count; start += batch) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const doc = scratchDoc(i, docBytes);
      total += calculateObjectSize(doc);
      docs.push(doc);
    }
    await client.insert(ns, docs, { ordered: false });
    onProgress?.(Math.min(count, start + batch));
  }
  return total;
}

export interface CursorMemoryResult {
  readonly docs: number;
  readonly bytes: number;
  readonly ms: number;
  readonly heapBaseline: number;
  readonly rssBaseline: number;
  /** Highest heapUsed seen at a sample, minus the baseline (garbage not yet collected included). */
  readonly peakHeapGrowth: number;
  /** Highest heapUsed right after a full collection at a sample, minus the baseline: what the iteration retains. */
  readonly peakRetainedGrowth: number;
  readonly peakRssGrowth: number;
}

export interface CursorMemoryOptions {
  readonly batchSize: number;
  /** Sample memory every this many documents (default 1000). */
  readonly sampleEvery?: number;
  /** Also force a collection every this many documents to measure retained heap (default 10 000; 0 = never). */
  readonly retainedEvery?: number;
}

/** Iterates `find({})` with a cursor and samples this process's memory as it goes. */
export async function iterateMeasuring(client: JujuDbClient, ns: Namespace, options: CursorMemoryOptions): Promise<CursorMemoryResult> {
  const sampleEvery = options.sampleEvery ?? 1000;
  const retainedEvery = options.retainedEvery ?? 10_000;
  collectGarbage();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRetained = base.heapUsed;
  let peakRss = base.rss;
  let docs = 0;
  let bytes = 0;
  const t0 = performance.now();
  const cursor = client.find(ns, {}, { batchSize: options.batchSize });
  for await (const doc of cursor) {
    docs++;
    bytes += calculateObjectSize(doc);
    if (docs % sampleEvery === 0) {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }
    if (retainedEvery > 0 && docs % retainedEvery === 0) {
      collectGarbage();
      peakRetained = Math.max(peakRetained, process.memoryUsage().heapUsed);
    }
  }
  const ms = performance.now() - t0;
  return {
    docs,
    bytes,
    ms,
    heapBaseline: base.heapUsed,
    rssBaseline: base.rss,
    peakHeapGrowth: peakHeap - base.heapUsed,
    peakRetainedGrowth: peakRetained - base.heapUsed,
    peakRssGrowth: peakRss - base.rss,
  };
}
