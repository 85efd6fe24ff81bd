import { describe, expect, it } from 'vitest';
import {
  PRESENCE_PERIOD_SECONDS,
  PRESENCE_PING_INTERVAL_MS,
  aliveKeys,
  machinePresence,
  machinePresenceKey,
  parseBeingDoc,
  parsePingsDoc,
  pingField,
  pingedSeqs,
  presenceDocId,
  seqsOf,
  timeSlot,
  unitPresenceKey,
  type BeingRecord,
  type PingsRecord,
} from './presence';

const ENV = '5b1e4d0c-8f7a-4c0e-9a43-1f1c6d2e3a10';
const OTHER = '0c1d2e3f-0000-4000-8000-000000000001';

/** A bson Long look-alike, as the driver returns int64 with promoteLongs off. */
class FakeLong {
  constructor(private readonly value: bigint) {}
  toBigInt(): bigint {
    return this.value;
  }
}

function pings(envUuid: string, slot: number, alive: Record<string, bigint>, dead: Record<string, bigint> = {}): PingsRecord {
  return { envUuid, slot, alive: new Map(Object.entries(alive)), dead: new Map(Object.entries(dead)) };
}

function beings(list: readonly [number, string][], envUuid = ENV): (seq: number) => BeingRecord | undefined {
  const map = new Map(list.map(([seq, key]) => [seq, { envUuid, seq, key }]));
  return (seq) => map.get(seq);
}

function fieldsFor(...seqs: number[]): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const seq of seqs) {
    const { field, bit } = pingField(seq);
    out[field] = (out[field] ?? 0n) | bit;
  }
  return out;
}

describe('presence slots', () => {
  it('rounds Unix seconds down to the 30-s period', () => {
    expect(PRESENCE_PERIOD_SECONDS).toBe(30);
    expect(timeSlot(Date.UTC(2025, 5, 15, 15, 0, 0))).toBe(Date.UTC(2025, 5, 15, 15, 0, 0) / 1000);
    expect(timeSlot(Date.UTC(2025, 5, 15, 15, 0, 29, 999))).toBe(Date.UTC(2025, 5, 15, 15, 0, 0) / 1000);
    expect(timeSlot(Date.UTC(2025, 5, 15, 15, 0, 30))).toBe(Date.UTC(2025, 5, 15, 15, 0, 30) / 1000);
    expect(timeSlot(61_500)).toBe(60);
  });

  it('pings every (period + 1) * 0.75 s, so every slot gets at least one ping', () => {
    expect(PRESENCE_PING_INTERVAL_MS).toBe(23_250);
    expect(PRESENCE_PING_INTERVAL_MS).toBeLessThan(PRESENCE_PERIOD_SECONDS * 1000);
  });

  it('names documents and keys as Juju 1.25 does', () => {
    expect(presenceDocId(ENV, 1_750_000_020)).toBe(`${ENV}:1750000020`);
    expect(presenceDocId(ENV, 'beings')).toBe(`${ENV}:beings`);
    expect(machinePresenceKey('3')).toBe('m#3');
    expect(unitPresenceKey('mysql/0')).toBe('u#mysql/0');
  });
});

describe('bit positions', () => {
  it('puts sequence n in field hex(n / 63) at bit n % 63', () => {
    expect(pingField(0)).toEqual({ field: '0', bit: 1n });
    expect(pingField(5)).toEqual({ field: '0', bit: 32n });
    expect(pingField(62)).toEqual({ field: '0', bit: 1n << 62n });
    expect(pingField(63)).toEqual({ field: '1', bit: 1n });
    expect(pingField(63 * 10 + 7)).toEqual({ field: 'a', bit: 1n << 7n });
    expect(pingField(63 * 31 + 1)).toEqual({ field: '1f', bit: 2n });
    expect(() => pingField(-1)).toThrow(RangeError);
  });

  it('reads sequences back from the fields, including bits beyond 2^53', () => {
    const seqs = [1, 2, 52, 53, 61, 62, 63, 64, 63 * 16 + 62];
    expect(seqsOf(new Map(Object.entries(fieldsFor(...seqs)))).sort((a, b) => a - b)).toEqual(seqs);
  });

  it('ignores the sign bit and fields that are not hex', () => {
    expect(seqsOf(new Map([['0', (1n << 63n) | 1n]]))).toEqual([0]);
    expect(seqsOf(new Map([['zz', 1n]]))).toEqual([]);
  });
});

describe('parsing', () => {
  it('parses a slot document with Long, bigint and number values', () => {
    const parsed = parsePingsDoc({
      _id: `${ENV}:1750000020`,
      slot: new FakeLong(1_750_000_020n),
      alive: { '0': new FakeLong((1n << 62n) | 2n), '1': 4 },
      dead: { '0': 2n },
    });
    expect(parsed).toEqual({
      envUuid: ENV,
      slot: 1_750_000_020,
      alive: new Map([
        ['0', (1n << 62n) | 2n],
        ['1', 4n],
      ]),
      dead: new Map([['0', 2n]]),
    });
  });

  it('takes the slot from the id when the field is missing, and refuses foreign documents', () => {
    expect(parsePingsDoc({ _id: `${ENV}:60`, alive: {} })?.slot).toBe(60);
    expect(parsePingsDoc({ _id: 'nonsense', alive: {} })).toBeNull();
    expect(parsePingsDoc(null)).toBeNull();
  });

  it('parses beings, with the environment from env-uuid or the id', () => {
    expect(parseBeingDoc({ _id: `${ENV}:7`, seq: new FakeLong(7n), 'env-uuid': ENV, key: 'm#3' })).toEqual({ envUuid: ENV, seq: 7, key: 'm#3' });
    expect(parseBeingDoc({ _id: `${ENV}:8`, seq: 8, key: 'u#mysql/0' })).toEqual({ envUuid: ENV, seq: 8, key: 'u#mysql/0' });
    expect(parseBeingDoc({ _id: `${ENV}:9`, key: 'm#1' })).toBeNull();
  });
});

describe('alive computation', () => {
  const slot = 1_750_000_020;
  const previous = slot - PRESENCE_PERIOD_SECONDS;
  const known = beings([
    [1, 'm#0'],
    [2, 'm#3'],
    [3, 'm#4'],
    [4, 'u#mysql/0'],
  ]);

  it('is alive when pinged in the current slot', () => {
    const result = aliveKeys(pingedSeqs([pings(ENV, slot, fieldsFor(1, 2))], ENV, slot), known);
    expect(result).toEqual(
      new Map([
        ['m#0', true],
        ['m#3', true],
      ]),
    );
  });

  it('stays alive on a ping in the previous slot alone, and not on an older one', () => {
    const docs = [pings(ENV, previous, fieldsFor(2)), pings(ENV, previous - PRESENCE_PERIOD_SECONDS, fieldsFor(3))];
    const result = aliveKeys(pingedSeqs(docs, ENV, slot), known);
    expect(result.get('m#3')).toBe(true);
    expect(result.has('m#4')).toBe(false);
    expect(machinePresence(['0', '3', '4'], result)).toEqual(
      new Map([
        ['0', false],
        ['3', true],
        ['4', false],
      ]),
    );
  });

  it('ignores slots after the current one and other environments\' documents', () => {
    const docs = [pings(ENV, slot + PRESENCE_PERIOD_SECONDS, fieldsFor(1)), pings(OTHER, slot, fieldsFor(2))];
    expect(aliveKeys(pingedSeqs(docs, ENV, slot), known).size).toBe(0);
  });

  it('is not alive when the sequence was killed (dead bit) in either slot', () => {
    const docs = [pings(ENV, previous, fieldsFor(1, 2), fieldsFor(2)), pings(ENV, slot, fieldsFor(1))];
    const result = aliveKeys(pingedSeqs(docs, ENV, slot), known);
    expect(result).toEqual(
      new Map([
        ['m#0', true],
        ['m#3', false],
      ]),
    );
  });

  it('judges a key by its most recent sequence (an agent restarted, then killed)', () => {
    const restarted = beings([
      [5, 'm#3'],
      [70, 'm#3'],
    ]);
    const killedLatest = [pings(ENV, slot, fieldsFor(5, 70), fieldsFor(70))];
    expect(aliveKeys(pingedSeqs(killedLatest, ENV, slot), restarted).get('m#3')).toBe(false);
    const killedOld = [pings(ENV, slot, fieldsFor(5, 70), fieldsFor(5))];
    expect(aliveKeys(pingedSeqs(killedOld, ENV, slot), restarted).get('m#3')).toBe(true);
  });

  it('ignores sequences that have no being (unowned)', () => {
    expect(aliveKeys(pingedSeqs([pings(ENV, slot, fieldsFor(40))], ENV, slot), known).size).toBe(0);
  });

  it('reads bits 53 to 62 exactly (they do not fit a double)', () => {
    const high = beings([
      [61, 'm#7'],
      [62, 'm#8'],
    ]);
    const result = aliveKeys(pingedSeqs([pings(ENV, slot, fieldsFor(62))], ENV, slot), high);
    expect(result).toEqual(new Map([['m#8', true]]));
  });
});
