/**
 * MongoDB wire-protocol framing: the legacy OP_QUERY/OP_REPLY pair the
 * drivers still use for the first handshake, and OP_MSG for everything else.
 * Pure functions over Buffers so the framing can be unit-tested without
 * sockets.
 */

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MSG_CHECKSUM_PRESENT = 1 << 0;
export const MSG_MORE_TO_COME = 1 << 1;
export const MSG_EXHAUST_ALLOWED = 1 << 16;

/** Largest message we accept (MongoDB's maxMessageSizeBytes). */
export const MAX_MESSAGE_SIZE = 48_000_000;

export interface MessageHeader {
  readonly length: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

export interface OpQuery {
  readonly kind: 'query';
  readonly header: MessageHeader;
  readonly flags: number;
  readonly fullCollectionName: string;
  readonly numberToSkip: number;
  readonly numberToReturn: number;
  /** Raw BSON of the query document. */
  readonly query: Buffer;
}

export interface OpMsgSequence {
  readonly identifier: string;
  /** Raw BSON documents of a kind-1 section. */
  readonly documents: Buffer[];
}

export interface OpMsg {
  readonly kind: 'msg';
  readonly header: MessageHeader;
  readonly flags: number;
  /** Raw BSON of the kind-0 body. */
  readonly body: Buffer;
  readonly sequences: OpMsgSequence[];
}

export type WireRequest = OpQuery | OpMsg;

export class WireProtocolError extends Error {}

export function readHeader(buf: Buffer): MessageHeader {
  return {
    length: buf.readInt32LE(0),
    requestId: buf.readInt32LE(4),
    responseTo: buf.readInt32LE(8),
    opCode: buf.readInt32LE(12),
  };
}

function readCString(buf: Buffer, offset: number): [string, number] {
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new WireProtocolError('unterminated cstring');
  return [buf.toString('utf8', offset, end), end + 1];
}

function readDocument(buf: Buffer, offset: number, limit: number): [Buffer, number] {
  if (offset + 5 > limit) throw new WireProtocolError('truncated document');
  const size = buf.readInt32LE(offset);
  if (size < 5 || offset + size > limit) throw new WireProtocolError('invalid document size');
  return [buf.subarray(offset, offset + size), offset + size];
}

/** Parse one complete message (header included). Unsupported opcodes throw. */
export function parseMessage(buf: Buffer): WireRequest {
  const header = readHeader(buf);
  if (header.length !== buf.length) throw new WireProtocolError('length mismatch');
  if (header.opCode === OP_QUERY) {
    const flags = buf.readInt32LE(16);
    const [fullCollectionName, after] = readCString(buf, 20);
    const numberToSkip = buf.readInt32LE(after);
    const numberToReturn = buf.readInt32LE(after + 4);
    const [query] = readDocument(buf, after + 8, buf.length);
    return { kind: 'query', header, flags, fullCollectionName, numberToSkip, numberToReturn, query };
  }
  if (header.opCode === OP_MSG) {
    const flags = buf.readUInt32LE(16);
    const end = flags & MSG_CHECKSUM_PRESENT ? buf.length - 4 : buf.length;
    let offset = 20;
    let body: Buffer | undefined;
    const sequences: OpMsgSequence[] = [];
    while (offset < end) {
      const kind = buf[offset]!;
      offset += 1;
      if (kind === 0) {
        [body, offset] = readDocument(buf, offset, end);
      } else if (kind === 1) {
        const size = buf.readInt32LE(offset);
        const sectionEnd = offset + size;
        if (sectionEnd > end) throw new WireProtocolError('invalid document sequence size');
        const [identifier, docsStart] = readCString(buf, offset + 4);
        const documents: Buffer[] = [];
        let pos = docsStart;
        while (pos < sectionEnd) {
          let doc: Buffer;
          [doc, pos] = readDocument(buf, pos, sectionEnd);
          documents.push(doc);
        }
        sequences.push({ identifier, documents });
        offset = sectionEnd;
      } else {
        throw new WireProtocolError(`unknown OP_MSG section kind ${kind}`);
      }
    }
    if (!body) throw new WireProtocolError('OP_MSG without a body section');
    return { kind: 'msg', header, flags, body, sequences };
  }
  throw new WireProtocolError(`unsupported opCode ${header.opCode}`);
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.allocUnsafe(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** OP_REPLY carrying the given raw documents (the handshake reply is one document). */
export function encodeOpReply(requestId: number, responseTo: number, documents: readonly Buffer[], cursorId = 0n, responseFlags = 8): Buffer[] {
  const fixed = Buffer.allocUnsafe(20);
  fixed.writeInt32LE(responseFlags, 0); // AwaitCapable, as mongod sets it
  fixed.writeBigInt64LE(cursorId, 4);
  fixed.writeInt32LE(0, 12);
  fixed.writeInt32LE(documents.length, 16);
  const length = 16 + 20 + documents.reduce((n, d) => n + d.length, 0);
  return [header(length, requestId, responseTo, OP_REPLY), fixed, ...documents];
}

/**
 * OP_MSG with one kind-0 body. The body may be given as several chunks (a
 * cursor reply is assembled from raw document buffers without copying them).
 */
export function encodeOpMsg(requestId: number, responseTo: number, bodyChunks: readonly Buffer[], flags = 0): Buffer[] {
  const bodyLength = bodyChunks.reduce((n, c) => n + c.length, 0);
  const fixed = Buffer.allocUnsafe(5);
  fixed.writeUInt32LE(flags, 0);
  fixed[4] = 0;
  return [header(16 + 5 + bodyLength, requestId, responseTo, OP_MSG), fixed, ...bodyChunks];
}

/**
 * Splits a byte stream into whole messages. Chunks are kept as a list and
 * joined only once a message is complete, so large inserts do not get copied
 * repeatedly.
 */
export class MessageFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Feed bytes; returns every message that is now complete. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const length = this.peekLength();
      if (length < 16 || length > MAX_MESSAGE_SIZE) throw new WireProtocolError(`invalid message length ${length}`);
      if (this.buffered < length) break;
      out.push(this.take(length));
    }
    return out;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32LE(0);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.readInt32LE(0);
  }

  private take(length: number): Buffer {
    const first = this.chunks[0]!;
    let result: Buffer;
    if (first.length >= length) {
      result = first.subarray(0, length);
      if (first.length === length) this.chunks.shift();
      else this.chunks[0] = first.subarray(length);
    } else {
      const all = Buffer.concat(this.chunks);
      result = all.subarray(0, length);
      this.chunks = all.length > length ? [all.subarray(length)] : [];
    }
    this.buffered -= length;
    return result;
  }
}
