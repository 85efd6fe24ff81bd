import { deserialize, serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import { cursorReply, ensureId, findElement, idKeyOf, pickFields } from './raw-bson';
import { MSG_CHECKSUM_PRESENT, MSG_MORE_TO_COME, MessageFramer, OP_MSG, OP_QUERY, encodeOpMsg, encodeOpReply, parseMessage, readHeader } from './wire';

function b(doc: object): Buffer {
  return Buffer.from(serialize(doc));
}

function opQuery(requestId: number, ns: string, query: object): Buffer {
  const q = b(query);
  const nsBytes = Buffer.from(ns + '\0');
  const out = Buffer.alloc(16 + 4 + nsBytes.length + 8 + q.length);
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(OP_QUERY, 12);
  nsBytes.copy(out, 20);
  out.writeInt32LE(-1, 20 + nsBytes.length + 4);
  q.copy(out, 20 + nsBytes.length + 8);
  return out;
}

function opMsg(requestId: number, flags: number, body: object, seq?: { id: string; docs: object[] }): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), b(body)];
  if (seq) {
    const docs = Buffer.concat(seq.docs.map(b));
    const id = Buffer.from(seq.id + '\0');
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + id.length + docs.length);
    parts.push(Buffer.from([1]), size, id, docs);
  }
  if (flags & MSG_CHECKSUM_PRESENT) parts.push(Buffer.alloc(4));
  const head = Buffer.alloc(20);
  const total = 20 + parts.reduce((n, p) => n + p.length, 0);
  head.writeInt32LE(total, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(OP_MSG, 12);
  head.writeUInt32LE(flags, 16);
  return Buffer.concat([head, ...parts]);
}

describe('wire framing', () => {
  it('parses the legacy OP_QUERY handshake', () => {
    const m = parseMessage(opQuery(7, 'admin.$cmd', { ismaster: 1, helloOk: true }));
    expect(m.kind).toBe('query');
    if (m.kind !== 'query') return;
    expect(m.fullCollectionName).toBe('admin.$cmd');
    expect(m.header.requestId).toBe(7);
    expect(deserialize(m.query)).toEqual({ ismaster: 1, helloOk: true });
  });

  it('parses OP_MSG bodies, document sequences, checksum and moreToCome flags', () => {
    const m = parseMessage(opMsg(9, MSG_CHECKSUM_PRESENT | MSG_MORE_TO_COME, { insert: 'c', $db: 'd' }, { id: 'documents', docs: [{ a: 1 }, { a: 2 }] }));
    expect(m.kind).toBe('msg');
    if (m.kind !== 'msg') return;
    expect(m.flags & MSG_MORE_TO_COME).toBeTruthy();
    expect(deserialize(m.body)).toEqual({ insert: 'c', $db: 'd' });
    expect(m.sequences[0]!.identifier).toBe('documents');
    expect(m.sequences[0]!.documents.map((d) => deserialize(d))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('splits a byte stream into whole messages whatever the chunking', () => {
    const stream = Buffer.concat([opMsg(1, 0, { ping: 1, $db: 'admin' }), opQuery(2, 'admin.$cmd', { hello: 1 }), opMsg(3, 0, { x: 'y'.repeat(1000), $db: 'a' })]);
    for (const step of [1, 3, 17, 4096]) {
      const f = new MessageFramer();
      const got: number[] = [];
      for (let i = 0; i < stream.length; i += step) for (const m of f.push(stream.subarray(i, i + step))) got.push(readHeader(m).requestId);
      expect(got).toEqual([1, 2, 3]);
    }
    expect(() => new MessageFramer().push(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/invalid message length/);
  });

  it('encodes OP_REPLY and OP_MSG replies that point at the request', () => {
    const reply = Buffer.concat(encodeOpReply(5, 42, [b({ ok: 1 })]));
    expect(readHeader(reply)).toMatchObject({ length: reply.length, responseTo: 42, opCode: 1 });
    expect(reply.readInt32LE(32)).toBe(1); // numberReturned
    const msg = Buffer.concat(encodeOpMsg(6, 43, [b({ ok: 1 })]));
    const parsed = parseMessage(msg);
    expect(parsed.header.responseTo).toBe(43);
    expect(parsed.kind === 'msg' && deserialize(parsed.body)).toEqual({ ok: 1 });
  });
});

describe('raw BSON helpers', () => {
  it('builds cursor replies from raw documents', () => {
    const docs = [b({ _id: 1, a: 'x' }), b({ _id: 2 })];
    const r = deserialize(cursorReply(123n, 'db.c', 'firstBatch', docs), { useBigInt64: true });
    expect(r).toEqual({ ok: 1, cursor: { id: 123n, ns: 'db.c', firstBatch: [{ _id: 1, a: 'x' }, { _id: 2 }] } });
  });

  it('picks fields, adds a missing _id first, and keys equal numeric ids alike', () => {
    const doc = b({ a: 1, big: 'z'.repeat(100), c: { d: 2 } });
    expect(deserialize(pickFields(doc, new Set(['a', 'c'])))).toEqual({ a: 1, c: { d: 2 } });
    const withId = ensureId(doc);
    expect(Object.keys(deserialize(withId))[0]).toBe('_id');
    expect(findElement(withId, '_id')!.type).toBe(7);
    expect(idKeyOf(b({ _id: 1 }))).toBe(idKeyOf(b({ _id: 1.0 })));
    expect(idKeyOf(b({ _id: 1 }))).not.toBe(idKeyOf(b({ _id: '1' })));
  });
});
