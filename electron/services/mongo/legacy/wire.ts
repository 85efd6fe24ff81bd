import { serialize, type Document } from 'bson';

/**
 * MongoDB's legacy wire protocol (what 2.4 speaks, and 2.6–4.2 still
 * accept): message encoders, OP_REPLY parsing and the framer that cuts a
 * TLS byte stream into messages. Pure functions over Buffers, so the byte
 * layout is unit-tested without sockets.
 *
 * Every message starts with the 16-byte header
 * `{ int32 messageLength, int32 requestID, int32 responseTo, int32 opCode }`,
 * all little-endian. Encoders return the message as a list of chunks
 * (header first) so documents are written to the socket without another copy.
 */

export const OP_REPLY = 1;
export const OP_UPDATE = 2001;
export const OP_INSERT = 2002;
export const OP_QUERY = 2004;
export const OP_GET_MORE = 2005;
export const OP_DELETE = 2006;
export const OP_KILL_CURSORS = 2007;

/** OP_QUERY flags. */
export const QUERY_SLAVE_OK = 1 << 2;
/** OP_INSERT flags. */
export const INSERT_CONTINUE_ON_ERROR = 1 << 0;
/** OP_UPDATE flags. */
export const UPDATE_UPSERT = 1 << 0;
export const UPDATE_MULTI = 1 << 1;
/** OP_DELETE flags. */
export const DELETE_SINGLE_REMOVE = 1 << 0;
/** OP_REPLY responseFlags. */
export const REPLY_CURSOR_NOT_FOUND = 1 << 0;
export const REPLY_QUERY_FAILURE = 1 << 1;

export const HEADER_SIZE = 16;
/** isMaster's maxMessageSizeBytes when the server does not say (2.4 does). */
export const DEFAULT_MAX_MESSAGE_SIZE = 48_000_000;

/** A message ready to write: its chunks, header included. */
export type Message = Buffer[];

let nextRequestId = 1;
/** Request ids are unique per process, which is enough for each connection. */
export function newRequestId(): number {
  nextRequestId = nextRequestId >= 0x7fffffff ? 1 : nextRequestId + 1;
  return nextRequestId;
}

/** Serializes a document as the official driver does by default (undefined as null), so both clients store the same. */
export function bson(doc: Document): Buffer {
  const bytes = serialize(doc);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function cstring(text: string): Buffer {
  if (text.includes('\0')) throw new TypeError(`Namespace contains a NUL byte: ${JSON.stringify(text)}`);
  return Buffer.from(`${text}\0`, 'utf8');
}

function int32s(...values: number[]): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 4);
  values.forEach((v, i) => buf.writeInt32LE(v, i * 4));
  return buf;
}

/** Prepends the header to `body` chunks. */
function frame(requestId: number, opCode: number, body: Buffer[]): Message {
  const length = HEADER_SIZE + body.reduce((n, b) => n + b.length, 0);
  return [int32s(length, requestId, 0, opCode), ...body];
}

export interface QueryMessage {
  readonly flags: number;
  /** `<db>.<collection>` or `<db>.$cmd`. */
  readonly namespace: string;
  readonly skip: number;
  /** 0: server default; negative: one batch, then the server closes the cursor. */
  readonly numberToReturn: number;
  readonly query: Document;
  readonly projection?: Document | undefined;
}

/** OP_QUERY: flags, fullCollectionName, numberToSkip, numberToReturn, query[, returnFieldsSelector]. */
export function encodeQuery(requestId: number, q: QueryMessage): Message {
  const body = [int32s(q.flags), cstring(q.namespace), int32s(q.skip, q.numberToReturn), bson(q.query)];
  if (q.projection && Object.keys(q.projection).length > 0) body.push(bson(q.projection));
  return frame(requestId, OP_QUERY, body);
}

/** OP_GET_MORE: ZERO, fullCollectionName, numberToReturn, int64 cursorID. */
export function encodeGetMore(requestId: number, namespace: string, numberToReturn: number, cursorId: bigint): Message {
  const tail = Buffer.allocUnsafe(12);
  tail.writeInt32LE(numberToReturn, 0);
  tail.writeBigInt64LE(cursorId, 4);
  return frame(requestId, OP_GET_MORE, [int32s(0), cstring(namespace), tail]);
}

/** OP_KILL_CURSORS: ZERO, numberOfCursorIDs, int64 cursorIDs… (the server sends no reply). */
export function encodeKillCursors(requestId: number, cursorIds: readonly bigint[]): Message {
  const ids = Buffer.allocUnsafe(8 * cursorIds.length);
  cursorIds.forEach((id, i) => ids.writeBigInt64LE(id, i * 8));
  return frame(requestId, OP_KILL_CURSORS, [int32s(0, cursorIds.length), ids]);
}

/** OP_INSERT: flags, fullCollectionName, documents… (already serialized). */
export function encodeInsert(requestId: number, namespace: string, documents: readonly Buffer[], flags = 0): Message {
  return frame(requestId, OP_INSERT, [int32s(flags), cstring(namespace), ...documents]);
}

/** OP_UPDATE: ZERO, fullCollectionName, flags, selector, update. */
export function encodeUpdate(requestId: number, namespace: string, selector: Document, update: Document, flags = 0): Message {
  return frame(requestId, OP_UPDATE, [int32s(0), cstring(namespace), int32s(flags), bson(selector), bson(update)]);
}

/** OP_DELETE: ZERO, fullCollectionName, flags, selector. */
export function encodeDelete(requestId: number, namespace: string, selector: Document, flags = 0): Message {
  return frame(requestId, OP_DELETE, [int32s(0), cstring(namespace), int32s(flags), bson(selector)]);
}

export function messageLength(message: Message): number {
  return message.reduce((n, b) => n + b.length, 0);
}

export interface Reply {
  readonly requestId: number;
  readonly responseTo: number;
  readonly responseFlags: number;
  /** 0n: the server has closed the cursor (or there was none). */
  readonly cursorId: bigint;
  readonly startingFrom: number;
  /** Raw BSON documents: slices of the received message, not copies. */
  readonly documents: Buffer[];
}

export class WireProtocolError extends Error {
  override readonly name = 'WireProtocolError';
}

/** Parses one complete OP_REPLY (header included). */
export function parseReply(message: Buffer): Reply {
  if (message.length < HEADER_SIZE + 20) throw new WireProtocolError(`reply of ${message.length} bytes is too short`);
  const length = message.readInt32LE(0);
  const opCode = message.readInt32LE(12);
  if (length !== message.length) throw new WireProtocolError(`reply length ${length} does not match the ${message.length} bytes received`);
  if (opCode !== OP_REPLY) throw new WireProtocolError(`expected OP_REPLY, got opCode ${opCode}`);
  const numberReturned = message.readInt32LE(32);
  const documents: Buffer[] = [];
  let offset = HEADER_SIZE + 20;
  for (let i = 0; i < numberReturned; i++) {
    if (offset + 5 > message.length) throw new WireProtocolError(`reply announces ${numberReturned} documents but holds ${i}`);
    const size = message.readInt32LE(offset);
    if (size < 5 || offset + size > message.length) throw new WireProtocolError(`document ${i} of the reply has an invalid size ${size}`);
    documents.push(message.subarray(offset, offset + size));
    offset += size;
  }
  return {
    requestId: message.readInt32LE(4),
    responseTo: message.readInt32LE(8),
    responseFlags: message.readInt32LE(16),
    cursorId: message.readBigInt64LE(20),
    startingFrom: message.readInt32LE(28),
    documents,
  };
}

/**
 * Cuts a byte stream into whole messages. Chunks are kept as received and
 * each message is copied at most once (not at all when it lies in one
 * chunk), so a large reply arriving in many small chunks costs linear time.
 */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE + HEADER_SIZE) {}

  /** Adds received bytes; returns the messages they complete. Throws on an impossible length. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) return out;
      const length = this.peekLength();
      if (length < HEADER_SIZE || length > this.maxMessageSize) throw new WireProtocolError(`invalid message length ${length}`);
      if (this.buffered < length) return out;
      out.push(this.take(length));
    }
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32LE(0);
    const head = Buffer.alloc(4);
    let filled = 0;
    for (const c of this.chunks) {
      filled += c.copy(head, filled, 0, Math.min(c.length, 4 - filled));
      if (filled === 4) break;
    }
    return head.readInt32LE(0);
  }

  private take(length: number): Buffer {
    this.buffered -= length;
    const first = this.chunks[0]!;
    if (first.length >= length) {
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
      return first.subarray(0, length);
    }
    const message = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const c = this.chunks[0]!;
      const n = Math.min(c.length, length - filled);
      c.copy(message, filled, 0, n);
      filled += n;
      if (n === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    return message;
  }
}
