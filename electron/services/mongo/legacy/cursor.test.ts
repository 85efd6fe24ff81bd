import { describe, expect, it } from 'vitest';
import { wrapQuery } from './client';
import { firstNumberToReturn, getMoreNumberToReturn } from './cursor';

describe('numberToReturn (CRUD spec, legacy OP_QUERY)', () => {
  it.each([
    [0, 0, 0],
    [0, 50, 50],
    [20, 0, 20],
    [20, 50, 20],
    [120, 50, 50],
    [1, 0, -1], // findOne: one document, no cursor left open
    [1, 50, -1],
    [0, 1, 2], // 1 would mean "one document and close" to a legacy server
    [5, 1, 2],
  ])('limit %i, batchSize %i → %i on the first query', (limit, batchSize, expected) => {
    expect(firstNumberToReturn({ limit, batchSize })).toBe(expected);
  });

  it.each([
    [0, 0, 10, 0],
    [0, 50, 10, 50],
    [25, 0, 20, 5],
    [25, 10, 10, 10],
    [25, 10, 20, 5],
  ])('limit %i, batchSize %i, %i received → %i on getMore (never negative)', (limit, batchSize, received, expected) => {
    expect(getMoreNumberToReturn({ limit, batchSize }, received)).toBe(expected);
  });
});

describe('the OP_QUERY document', () => {
  it('sends a bare filter unless a sort or $snapshot is asked for', () => {
    expect(wrapQuery({ a: 1 }, {})).toEqual({ a: 1 });
    expect(wrapQuery({ a: 1 }, { sort: { $natural: 1 } })).toEqual({ $query: { a: 1 }, $orderby: { $natural: 1 } });
    expect(wrapQuery({}, { snapshot: true })).toEqual({ $query: {}, $snapshot: true });
    expect(Object.keys(wrapQuery({}, { snapshot: false }))).toEqual([]);
  });
});
