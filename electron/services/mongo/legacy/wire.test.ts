import { deserialize, serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import { encodeReply } from './fake-legacy-server';
import {
  encodeDelete,
  encodeGetMore,
  encodeInsert,
  encodeKillCursors,
  encodeQuery,
  encodeUpdate,
  MessageFramer,
  parseReply,
  WireProtocolError,
  type Message,
} from './wire';

const join = (m: Message): Buffer => Buffer.concat(m);
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const i64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(n);
  return b;
};
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
const doc = (d: object): Buffer => Buffer.from(serialize(d));
/** The spec's layout, spelled out field by field: header, then body. */
const expected = (requestId: number, opCode: number, ...body: Buffer[]): Buffer => {
  const b = Buffer.concat(body);
  return Buffer.concat([i32(16 + b.length), i32(requestId), i32(0), i32(opCode), b]);
};

describe('legacy message layout', () => {
  it('OP_QUERY: flags, fullCollectionName, numberToSkip, numberToReturn, query, returnFieldsSelector', () => {
    const msg = encodeQuery(7, { flags: 4, namespace: 'juju.machines', skip: 3, numberToReturn: 10, query: { a: 1 }, projection: { b: 1 } });
    expect(join(msg)).toEqual(expected(7, 2004, i32(4), cstr('juju.machines'), i32(3), i32(10), doc({ a: 1 }), doc({ b: 1 })));
    // No selector when there is no projection.
    expect(join(encodeQuery(8, { flags: 0, namespace: 'admin.$cmd', skip: 0, numberToReturn: -1, query: { isMaster: 1 } }))).toEqual(
      expected(8, 2004, i32(0), cstr('admin.$cmd'), i32(0), i32(-1), doc({ isMaster: 1 })),
    );
  });

  it('OP_GET_MORE: ZERO, fullCollectionName, numberToReturn, cursorID', () => {
    expect(join(encodeGetMore(9, 'local.oplog.rs', 5, 0x1122334455667788n))).toEqual(expected(9, 2005, i32(0), cstr('local.oplog.rs'), i32(5), i64(0x1122334455667788n)));
  });

  it('OP_KILL_CURSORS: ZERO, numberOfCursorIDs, cursorIDs', () => {
    expect(join(encodeKillCursors(10, [1n, -2n]))).toEqual(expected(10, 2007, i32(0), i32(2), i64(1n), i64(-2n)));
  });

  it('OP_INSERT: flags, fullCollectionName, documents', () => {
    expect(join(encodeInsert(11, 'db.c', [doc({ _id: 1 }), doc({ _id: 2 })], 1))).toEqual(expected(11, 2002, i32(1), cstr('db.c'), doc({ _id: 1 }), doc({ _id: 2 })));
  });

  it('OP_UPDATE: ZERO, fullCollectionName, flags, selector, update', () => {
    expect(join(encodeUpdate(12, 'db.c', { _id: 1 }, { $set: { x: 2 } }, 3))).toEqual(expected(12, 2001, i32(0), cstr('db.c'), i32(3), doc({ _id: 1 }), doc({ $set: { x: 2 } })));
  });

  it('OP_DELETE: ZERO, fullCollectionName, flags, selector', () => {
    expect(join(encodeDelete(13, 'db.c', { x: 1 }, 1))).toEqual(expected(13, 2006, i32(0), cstr('db.c'), i32(1), doc({ x: 1 })));
  });

  it('refuses a namespace with a NUL byte', () => {
    expect(() => encodeDelete(14, 'db.c\0x', {})).toThrow(TypeError);
  });
});

describe('OP_REPLY', () => {
  it('parses flags, cursor id, startingFrom and documents as slices of the message', () => {
    const message = expected(99, 1, i32(8), i64(-5n), i32(4), i32(2), doc({ a: 1 }), doc({ b: 'two' }));
    const reply = parseReply(message);
    expect(reply).toMatchObject({ requestId: 99, responseTo: 0, responseFlags: 8, cursorId: -5n, startingFrom: 4 });
    expect(reply.documents.map((d) => deserialize(d))).toEqual([{ a: 1 }, { b: 'two' }]);
    expect(reply.documents[0]!.buffer).toBe(message.buffer);
  });

  it('reads QueryFailure and CursorNotFound flags', () => {
    expect(parseReply(encodeReply(1, [{ $err: 'bad', code: 2 }], 0n, 2)).responseFlags & 2).toBe(2);
    expect(parseReply(encodeReply(1, [], 0n, 1)).responseFlags & 1).toBe(1);
  });

  it('refuses truncated documents, a wrong length and other opcodes', () => {
    const good = encodeReply(1, [{ a: 1 }]);
    const lying = Buffer.from(good);
    lying.writeInt32LE(3, 32); // announces 3 documents, holds 1
    expect(() => parseReply(lying)).toThrow(WireProtocolError);
    expect(() => parseReply(good.subarray(0, good.length - 1))).toThrow(/length/);
    const otherOp = Buffer.from(good);
    otherOp.writeInt32LE(2013, 12);
    expect(() => parseReply(otherOp)).toThrow(/opCode 2013/);
  });
});

describe('MessageFramer', () => {
  const a = encodeReply(1, [{ a: 1 }]);
  const b = encodeReply(2, [{ b: 'x'.repeat(300) }]);

  it('assembles a message split at every byte, including inside the length', () => {
    const framer = new MessageFramer();
    const out: Buffer[] = [];
    for (let i = 0; i < a.length; i++) out.push(...framer.push(a.subarray(i, i + 1)));
    expect(out).toEqual([a]);
  });

  it('cuts merged messages apart, and keeps a partial tail for the next chunk', () => {
    const framer = new MessageFramer();
    const stream = Buffer.concat([a, b, a]);
    const cut = a.length + b.length + 10;
    const first = framer.push(stream.subarray(0, cut));
    expect(first).toEqual([a, b]);
    expect(first[0]!.buffer).toBe(stream.buffer); // whole messages in one chunk are not copied
    expect(framer.push(stream.subarray(cut))).toEqual([a]);
  });

  it('splits arbitrarily and still yields the same messages', () => {
    const stream = Buffer.concat([a, b, b, a, b]);
    for (const size of [1, 3, 7, 50, 333]) {
      const framer = new MessageFramer();
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) out.push(...framer.push(stream.subarray(i, i + size)));
      expect(out).toEqual([a, b, b, a, b]);
    }
  });

  it('refuses an impossible length', () => {
    expect(() => new MessageFramer().push(Buffer.from([3, 0, 0, 0]))).toThrow(WireProtocolError);
    expect(() => new MessageFramer(1000).push(i32(2000))).toThrow(/2000/);
  });
});
