/**
 * Aggregation: leading `$match` stages run through the find machinery (index
 * shortcuts, partial decoding); the rest streams through mingo's lazy
 * aggregator, document by document.
 */
import { type Document } from 'bson';
import { Aggregator } from 'mingo';
import { evalDoc, fromEval, toEval } from '../bson-eval';
import { MongoServerError } from '../errors';
import { matching } from './find';
import type { DocSource } from './source';
import { toBson } from '../raw-bson';

const UNSUPPORTED = new Set(['$out', '$merge', '$changeStream', '$currentOp', '$listSessions', '$collStats', '$indexStats', '$planCacheStats', '$search']);

/** Resolves `$lookup`/`$unionWith` collection names to eval documents. */
export type CollectionResolver = (name: string) => Document[];

export function* runAggregate(source: DocSource, pipeline: Document[], resolver: CollectionResolver): Generator<Buffer> {
  const stages = pipeline.map((s) => toEval(s) as Document);
  for (const s of stages) {
    const name = Object.keys(s)[0] ?? '';
    if (UNSUPPORTED.has(name)) throw new MongoServerError('BadValue', `${name} is not supported by the sandbox juju-db`);
  }
  let filter: Document | undefined;
  while (stages.length > 0 && '$match' in stages[0]!) {
    const m = stages.shift()!.$match as Document;
    filter = filter ? { $and: [filter, m] } : m;
  }
  const input = matching(source, filter);
  if (stages.length === 0) {
    yield* input;
    return;
  }
  let agg: Aggregator;
  try {
    agg = new Aggregator(stages, { collectionResolver: resolver as never });
  } catch (err) {
    throw new MongoServerError('BadValue', err instanceof Error ? err.message : String(err));
  }
  const evalIter = (function* () {
    for (const raw of input) yield evalDoc(raw);
  })();
  const out = agg.stream(evalIter);
  for (;;) {
    const r = out.next();
    if (r.done) return;
    yield toBson(fromEval(r.value) as Document);
  }
}
