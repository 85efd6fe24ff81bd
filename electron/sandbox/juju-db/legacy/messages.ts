/**
 * The legacy wire protocol MongoDB 2.4 speaks (and nothing newer): OP_QUERY
 * with its optional field selector, OP_GET_MORE, OP_KILL_CURSORS, and the
 * fire-and-forget writes OP_INSERT, OP_UPDATE, OP_DELETE. Layouts from the
 * MongoDB Wire Protocol reference ("Legacy Opcodes") and 2.4's dbmessage.h.
 * Pure functions over Buffers; any other opcode (OP_MSG, OP_COMPRESSED, …)
 * parses as `unsupported`, which a 2.4 server logs and leaves unanswered.
 */
import { OP_QUERY, WireProtocolError, readHeader, type MessageHeader } from '../wire';

export const OP_UPDATE = 2001;
export const OP_INSERT = 2002;
export const OP_GET_MORE = 2005;
export const OP_DELETE = 2006;
export const OP_KILL_CURSORS = 2007;

/** OP_QUERY flags (dbclient.h QueryOptions). */
export const QUERY_TAILABLE = 1 << 1;
export const QUERY_SLAVE_OK = 1 << 2;
export const QUERY_NO_CURSOR_TIMEOUT = 1 << 4;
export const QUERY_EXHAUST = 1 << 6;
/** OP_INSERT, OP_UPDATE, OP_DELETE flags. */
export const INSERT_CONTINUE_ON_ERROR = 1 << 0;
export const UPDATE_UPSERT = 1 << 0;
export const UPDATE_MULTI = 1 << 1;
export const DELETE_SINGLE_REMOVE = 1 << 0;
/** OP_REPLY responseFlags. */
export const REPLY_CURSOR_NOT_FOUND = 1 << 0;
export const REPLY_QUERY_FAILURE = 1 << 1;
export const REPLY_AWAIT_CAPABLE = 1 << 3;

export interface LegacyQuery {
  readonly kind: 'query';
  readonly header: MessageHeader;
  readonly flags: number;
  readonly ns: string;
  readonly numberToSkip: number;
  readonly numberToReturn: number;
  readonly query: Buffer;
  /** The optional returnFieldsSelector (projection). */
  readonly fields: Buffer | undefined;
}

export interface LegacyGetMore {
  readonly kind: 'getMore';
  readonly header: MessageHeader;
  readonly ns: string;
  readonly numberToReturn: number;
  readonly cursorId: bigint;
}

export interface LegacyKillCursors {
  readonly kind: 'killCursors';
  readonly header: MessageHeader;
  readonly cursorIds: readonly bigint[];
}

export interface LegacyInsert {
  readonly kind: 'insert';
  readonly header: MessageHeader;
  readonly flags: number;
  readonly ns: string;
  readonly documents: readonly Buffer[];
}

export interface LegacyUpdate {
  readonly kind: 'update';
  readonly header: MessageHeader;
  readonly flags: number;
  readonly ns: string;
  readonly selector: Buffer;
  readonly update: Buffer;
}

export interface LegacyDelete {
  readonly kind: 'delete';
  readonly header: MessageHeader;
  readonly flags: number;
  readonly ns: string;
  readonly selector: Buffer;
}

export interface LegacyUnsupported {
  readonly kind: 'unsupported';
  readonly header: MessageHeader;
}

export type LegacyRequest = LegacyQuery | LegacyGetMore | LegacyKillCursors | LegacyInsert | LegacyUpdate | LegacyDelete | LegacyUnsupported;

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  int32(): number {
    if (this.pos + 4 > this.buf.length) throw new WireProtocolError('truncated message');
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    if (this.pos + 8 > this.buf.length) throw new WireProtocolError('truncated message');
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new WireProtocolError('unterminated cstring');
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }

  get more(): boolean {
    return this.pos < this.buf.length;
  }

  document(): Buffer {
    if (this.pos + 5 > this.buf.length) throw new WireProtocolError('truncated document');
    const size = this.buf.readInt32LE(this.pos);
    if (size < 5 || this.pos + size > this.buf.length || this.buf[this.pos + size - 1] !== 0) throw new WireProtocolError('invalid document size');
    const doc = this.buf.subarray(this.pos, this.pos + size);
    this.pos += size;
    return doc;
  }
}

/** Parse one complete message (header included). Malformed messages throw WireProtocolError. */
export function parseLegacyMessage(buf: Buffer): LegacyRequest {
  const header = readHeader(buf);
  if (header.length !== buf.length) throw new WireProtocolError('length mismatch');
  const r = new Reader(buf, 16);
  switch (header.opCode) {
    case OP_QUERY: {
      const flags = r.int32();
      const ns = r.cstring();
      const numberToSkip = r.int32();
      const numberToReturn = r.int32();
      const query = r.document();
      const fields = r.more ? r.document() : undefined;
      return { kind: 'query', header, flags, ns, numberToSkip, numberToReturn, query, fields };
    }
    case OP_GET_MORE: {
      r.int32(); // ZERO
      const ns = r.cstring();
      const numberToReturn = r.int32();
      return { kind: 'getMore', header, ns, numberToReturn, cursorId: r.int64() };
    }
    case OP_KILL_CURSORS: {
      r.int32(); // ZERO
      const n = r.int32();
      if (n < 0 || 24 + n * 8 > buf.length) throw new WireProtocolError('invalid numberOfCursorIDs');
      const cursorIds: bigint[] = [];
      for (let i = 0; i < n; i++) cursorIds.push(r.int64());
      return { kind: 'killCursors', header, cursorIds };
    }
    case OP_INSERT: {
      const flags = r.int32();
      const ns = r.cstring();
      const documents: Buffer[] = [];
      while (r.more) documents.push(r.document());
      return { kind: 'insert', header, flags, ns, documents };
    }
    case OP_UPDATE: {
      r.int32(); // ZERO
      const ns = r.cstring();
      const flags = r.int32();
      const selector = r.document();
      return { kind: 'update', header, flags, ns, selector, update: r.document() };
    }
    case OP_DELETE: {
      r.int32(); // ZERO
      const ns = r.cstring();
      const flags = r.int32();
      return { kind: 'delete', header, flags, ns, selector: r.document() };
    }
    default:
      return { kind: 'unsupported', header };
  }
}

/**
 * OP_REPLY: responseFlags, cursorID, startingFrom, numberReturned, then the
 * documents (sent as separate chunks, not copied).
 */
export function encodeLegacyReply(requestId: number, responseTo: number, reply: { docs: readonly Buffer[]; cursorId?: bigint; flags?: number; startingFrom?: number }): Buffer[] {
  const head = Buffer.allocUnsafe(36);
  const length = 36 + reply.docs.reduce((n, d) => n + d.length, 0);
  head.writeInt32LE(length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(responseTo, 8);
  head.writeInt32LE(1, 12); // OP_REPLY
  head.writeInt32LE(reply.flags ?? REPLY_AWAIT_CAPABLE, 16);
  head.writeBigInt64LE(reply.cursorId ?? 0n, 20);
  head.writeInt32LE(reply.startingFrom ?? 0, 28);
  head.writeInt32LE(reply.docs.length, 32);
  return [head, ...reply.docs];
}
