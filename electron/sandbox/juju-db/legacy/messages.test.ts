import { deserialize, serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import { MongoServerError } from '../errors';
import { OP_MSG, OP_QUERY } from '../wire';
import { LastError } from './last-error';
import {
  DELETE_SINGLE_REMOVE,
  INSERT_CONTINUE_ON_ERROR,
  OP_DELETE,
  OP_GET_MORE,
  OP_INSERT,
  OP_KILL_CURSORS,
  OP_UPDATE,
  QUERY_SLAVE_OK,
  REPLY_CURSOR_NOT_FOUND,
  UPDATE_MULTI,
  UPDATE_UPSERT,
  encodeLegacyReply,
  parseLegacyMessage,
} from './messages';
import { mongoCrKey } from './mongodb-cr';
import { legacyDuplicateKeyMessage } from './writes';
import { legacyPasswordDigest } from '../users';

const doc = (o: object): Buffer => Buffer.from(serialize(o));
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

/** A message as a client lays it out: header (length, requestID, responseTo, opCode) then the body. */
function message(opCode: number, requestId: number, ...body: Buffer[]): Buffer {
  const rest = Buffer.concat(body);
  return Buffer.concat([i32(16 + rest.length), i32(requestId), i32(0), i32(opCode), rest]);
}

describe('legacy opcodes (2.4 wire protocol)', () => {
  it('parses OP_QUERY with its flags, skip/return counts and the optional field selector', () => {
    const m = parseLegacyMessage(message(OP_QUERY, 5, i32(QUERY_SLAVE_OK), cstr('juju.machines'), i32(10), i32(-3), doc({ $query: { life: 0 }, $orderby: { _id: 1 } }), doc({ jobs: 1 })));
    expect(m.kind).toBe('query');
    if (m.kind !== 'query') return;
    expect(m.header.requestId).toBe(5);
    expect(m.flags & QUERY_SLAVE_OK).toBeTruthy();
    expect([m.ns, m.numberToSkip, m.numberToReturn]).toEqual(['juju.machines', 10, -3]);
    expect(deserialize(m.query)).toEqual({ $query: { life: 0 }, $orderby: { _id: 1 } });
    expect(deserialize(m.fields!)).toEqual({ jobs: 1 });
    const bare = parseLegacyMessage(message(OP_QUERY, 6, i32(0), cstr('admin.$cmd'), i32(0), i32(-1), doc({ isMaster: 1 })));
    expect(bare.kind === 'query' && bare.fields).toBeUndefined();
  });

  it('parses OP_INSERT (ContinueOnError, several documents), OP_UPDATE (Upsert, MultiUpdate) and OP_DELETE (SingleRemove)', () => {
    const ins = parseLegacyMessage(message(OP_INSERT, 1, i32(INSERT_CONTINUE_ON_ERROR), cstr('juju.machines'), doc({ _id: '0' }), doc({ _id: '1' })));
    expect(ins).toMatchObject({ kind: 'insert', ns: 'juju.machines', flags: INSERT_CONTINUE_ON_ERROR });
    expect(ins.kind === 'insert' && ins.documents.map((d) => deserialize(d))).toEqual([{ _id: '0' }, { _id: '1' }]);

    const upd = parseLegacyMessage(message(OP_UPDATE, 2, i32(0), cstr('juju.machines'), i32(UPDATE_UPSERT | UPDATE_MULTI), doc({ _id: '0' }), doc({ $set: { life: 1 } })));
    expect(upd).toMatchObject({ kind: 'update', ns: 'juju.machines', flags: UPDATE_UPSERT | UPDATE_MULTI });
    if (upd.kind !== 'update') return;
    expect(deserialize(upd.selector)).toEqual({ _id: '0' });
    expect(deserialize(upd.update)).toEqual({ $set: { life: 1 } });

    const del = parseLegacyMessage(message(OP_DELETE, 3, i32(0), cstr('juju.units'), i32(DELETE_SINGLE_REMOVE), doc({ life: 2 })));
    expect(del).toMatchObject({ kind: 'delete', ns: 'juju.units', flags: DELETE_SINGLE_REMOVE });
    expect(del.kind === 'delete' && deserialize(del.selector)).toEqual({ life: 2 });
  });

  it('parses OP_GET_MORE and OP_KILL_CURSORS with 64-bit cursor ids', () => {
    const gm = parseLegacyMessage(message(OP_GET_MORE, 4, i32(0), cstr('local.oplog.rs'), i32(0), i64(0x1234567890abcdefn)));
    expect(gm).toMatchObject({ kind: 'getMore', ns: 'local.oplog.rs', numberToReturn: 0, cursorId: 0x1234567890abcdefn });
    const kc = parseLegacyMessage(message(OP_KILL_CURSORS, 5, i32(0), i32(2), i64(7n), i64(-9n)));
    expect(kc).toMatchObject({ kind: 'killCursors', cursorIds: [7n, -9n] });
  });

  it('leaves OP_MSG, OP_COMPRESSED and unknown opcodes unsupported (a 2.4 server ignores them) and rejects malformed legacy messages', () => {
    expect(parseLegacyMessage(message(OP_MSG, 7, i32(0), Buffer.from([0]), doc({ hello: 1, $db: 'admin' }))).kind).toBe('unsupported');
    expect(parseLegacyMessage(message(2012, 8, i32(OP_MSG), i32(10), Buffer.from([0]))).kind).toBe('unsupported');
    const truncated = message(OP_INSERT, 9, i32(0), cstr('juju.machines'), doc({ a: 1 })).subarray(0, -3);
    truncated.writeInt32LE(truncated.length, 0);
    expect(() => parseLegacyMessage(truncated)).toThrow(/document/);
    expect(() => parseLegacyMessage(message(OP_KILL_CURSORS, 10, i32(0), i32(5), i64(1n)))).toThrow(/numberOfCursorIDs/);
  });

  it('encodes OP_REPLY: flags, cursor id, startingFrom and the documents', () => {
    const chunks = encodeLegacyReply(11, 5, { docs: [doc({ a: 1 })], cursorId: 42n, startingFrom: 101 });
    const b = Buffer.concat(chunks);
    expect(b.readInt32LE(0)).toBe(b.length);
    expect([b.readInt32LE(4), b.readInt32LE(8), b.readInt32LE(12)]).toEqual([11, 5, 1]);
    expect(b.readInt32LE(16)).toBe(8); // AwaitCapable
    expect(b.readBigInt64LE(20)).toBe(42n);
    expect([b.readInt32LE(28), b.readInt32LE(32)]).toEqual([101, 1]);
    expect(deserialize(b.subarray(36))).toEqual({ a: 1 });
    const nf = Buffer.concat(encodeLegacyReply(12, 6, { docs: [], flags: REPLY_CURSOR_NOT_FOUND }));
    expect([nf.length, nf.readInt32LE(16), nf.readInt32LE(32)]).toEqual([36, 1, 0]);
  });
});

describe('MONGODB-CR digests', () => {
  // Expected values computed independently with coreutils md5sum:
  // printf 'machine-0:mongo:machine-0-pw' | md5sum; printf '<nonce>machine-0<digest>' | md5sum
  it('derives pwd = md5hex(user:mongo:password) and key = md5hex(nonce + user + pwd)', () => {
    expect(legacyPasswordDigest('user', 'pencil')).toBe('1c33006ec1ffd90f9cadcbcc0e118200');
    const pwd = legacyPasswordDigest('machine-0', 'machine-0-pw');
    expect(pwd).toBe('c4d2aaf290ed1da5a5f0df0c4039c641');
    expect(mongoCrKey('2375531c32080ae8', 'machine-0', pwd)).toBe('2099ae15c22a673e4e5e6c28a0ea8475');
  });
});

describe('2.4 last error', () => {
  it('reports an update or a failure only to the getLastError right after it; inserts leave n: 0', () => {
    const le = new LastError();
    le.startRequest(); // OP_UPDATE
    le.recordUpdate(true, 3, undefined);
    le.startRequest(); // getLastError
    const a: Record<string, unknown> = {};
    expect(le.appendForGetLastError(a)).toBe(false);
    expect(a).toEqual({ updatedExisting: true, n: 3 });
    le.startRequest(); // getLastError again: still the same record
    const again: Record<string, unknown> = {};
    le.appendForGetLastError(again);
    expect(again).toEqual({ updatedExisting: true, n: 3 });
    le.startRequest(); // a query in between
    le.startRequest(); // getLastError
    const b: Record<string, unknown> = {};
    le.appendForGetLastError(b);
    expect(b).toEqual({ n: 0 });
    le.startRequest(); // OP_INSERT that succeeds records nothing
    le.startRequest();
    const c: Record<string, unknown> = {};
    le.appendForGetLastError(c);
    expect(c).toEqual({ n: 0 });
    le.startRequest(); // OP_INSERT that fails
    le.raiseError(11000, 'E11000 duplicate key error index: juju.machines.$_id_  dup key: { : "0" }');
    le.startRequest();
    const d: Record<string, unknown> = {};
    expect(le.appendForGetLastError(d)).toBe(true);
    expect(d).toEqual({ err: 'E11000 duplicate key error index: juju.machines.$_id_  dup key: { : "0" }', code: 11000, n: 0 });
  });

  it("words duplicate keys as 2.4 does: the index's namespace, two spaces, no field names", () => {
    const modern = new MongoServerError('DuplicateKey', 'E11000 duplicate key error collection: juju.machines index: _id_ dup key: { _id: "0" }');
    expect(legacyDuplicateKeyMessage('juju.machines', modern)).toBe('E11000 duplicate key error index: juju.machines.$_id_  dup key: { : "0" }');
    const compound = new MongoServerError('DuplicateKey', 'E11000 duplicate key error collection: juju.units index: a_1_b_1 dup key: { a: 1, b: "x" }');
    expect(legacyDuplicateKeyMessage('juju.units', compound)).toBe('E11000 duplicate key error index: juju.units.$a_1_b_1  dup key: { : 1, : "x" }');
  });
});
