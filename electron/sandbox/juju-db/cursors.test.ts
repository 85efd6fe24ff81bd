import { deserialize, serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import { BatchIterator, MAX_BATCH_BYTES, takeBatch } from './cursors';
import { cursorReplyChunks } from './raw-bson';

function doc(i: number, size: number): Buffer {
  return Buffer.from(serialize({ _id: i, pad: Buffer.alloc(Math.max(0, size - 40)) }));
}

describe('cursor batches', () => {
  it('stops a batch before it would pass the byte limit and keeps the document for the next batch', () => {
    const docs = Array.from({ length: 5 }, (_, i) => doc(i, 5 * 1024 * 1024));
    const it = new BatchIterator(docs[Symbol.iterator]());
    const first = takeBatch(it, 0);
    expect(first.docs).toHaveLength(3);
    expect(first.docs.every((d, i) => d === docs[i])).toBe(true);
    expect(first.docs.reduce((n, d) => n + d.length, 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
    const second = takeBatch(it, 0);
    expect(second.docs).toHaveLength(2);
    expect(second.docs[0]).toBe(docs[3]);
    expect(second.docs[1]).toBe(docs[4]);
    expect(second.exhausted).toBe(true);
  });

  it('sends a document larger than the limit alone, and honours batchSize', () => {
    const docs = [doc(0, 100), doc(1, 3000), doc(2, 100), doc(3, 100)];
    const it = new BatchIterator(docs[Symbol.iterator]());
    expect(takeBatch(it, 0, 1000).docs).toEqual([docs[0]]);
    expect(takeBatch(it, 0, 1000).docs).toEqual([docs[1]]);
    expect(takeBatch(it, 1, 1000).docs).toEqual([docs[2]]);
    expect(takeBatch(it, 5, 1000)).toEqual({ docs: [docs[3]], exhausted: true });
  });

  it('assembles replies from chunks: small documents copied into the frame, large ones passed by reference', () => {
    const small = Array.from({ length: 120 }, (_, i) => doc(i, 230));
    const large = [doc(1000, 40_000), doc(1001, 90_000)];
    const docs = [small[0]!, large[0]!, ...small.slice(1), large[1]!];
    const chunks = cursorReplyChunks(42n, 'juju.settings', 'nextBatch', docs);
    expect(chunks.filter((c) => large.includes(c))).toHaveLength(2);
    expect(chunks.some((c) => small.includes(c))).toBe(false);
    const reply = deserialize(Buffer.concat(chunks), { useBigInt64: true });
    expect(reply.ok).toBe(1);
    expect(reply.cursor.id).toBe(42n);
    expect(reply.cursor.ns).toBe('juju.settings');
    expect(reply.cursor.nextBatch.map((d: { _id: number }) => d._id)).toEqual(docs.map((d) => deserialize(d)._id));
    const withExtra = deserialize(Buffer.concat(cursorReplyChunks(0n, 'a.b', 'firstBatch', [], { note: 'x' })));
    expect(withExtra).toMatchObject({ cursor: { firstBatch: [], ns: 'a.b' }, ok: 1, note: 'x' });
  });
});
