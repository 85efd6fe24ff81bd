import { serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import { BsonFrameCounter, MAX_BSON_DOCUMENT } from './bson-frames';

const docs = [{ a: 1 }, { b: 'x'.repeat(300) }, {}, { c: [1, 2, 3] }].map((d) => Buffer.from(serialize(d)));
const all = Buffer.concat(docs);

describe('BsonFrameCounter', () => {
  it.each([1, 3, 4, 5, 7, 64, all.length])('counts documents fed in %i-byte pieces and keeps the first and last', (step) => {
    const c = new BsonFrameCounter({ keepEnds: true });
    for (let i = 0; i < all.length; i += step) c.write(all.subarray(i, i + step));
    c.end();
    expect(c).toMatchObject({ documents: 4, bytes: all.length, problem: null });
    expect(c.first).toEqual(docs[0]);
    expect(c.last).toEqual(docs[3]);
  });

  it('keeps nothing without keepEnds', () => {
    const c = new BsonFrameCounter();
    c.write(all);
    c.end();
    expect(c).toMatchObject({ documents: 4, first: null, last: null });
  });

  it.each([
    ['a length below 5', Buffer.from([4, 0, 0, 0]), /impossible length of 4/],
    ['a negative length', Buffer.from([0, 0, 0, 0x80]), /impossible length/],
    ['a length above the BSON limit', Buffer.from(new Int32Array([MAX_BSON_DOCUMENT + 1]).buffer), /impossible length/],
    ['a missing terminator', Buffer.from([5, 0, 0, 0, 9]), /zero byte/],
    ['a truncated document', all.subarray(0, all.length - 1), /ends inside document 4/],
    ['a truncated length', Buffer.concat([all, Buffer.from([5, 0])]), /ends inside document 5/],
  ])('reports %s', (_name, bytes, problem) => {
    const c = new BsonFrameCounter();
    c.write(bytes);
    c.end();
    expect(c.problem).toMatch(problem);
  });

  it('accepts an empty file', () => {
    const c = new BsonFrameCounter({ keepEnds: true });
    c.end();
    expect(c).toMatchObject({ documents: 0, problem: null, first: null, last: null });
  });
});
