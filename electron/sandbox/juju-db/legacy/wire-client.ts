/**
 * A minimal legacy wire-protocol client for tests of the 2.4 profile: sends
 * raw OP_QUERY / OP_GET_MORE / OP_MSG messages over TLS and reads OP_REPLY
 * frames, so tests can check reply shapes and flags byte for byte, and what
 * the server does with opcodes it does not answer.
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import { deserialize, serialize, type Document } from 'bson';
import { OP_MSG, OP_QUERY } from '../wire';
import { OP_GET_MORE, OP_INSERT } from './messages';

export interface RawReply {
  readonly responseTo: number;
  readonly flags: number;
  readonly cursorId: bigint;
  readonly startingFrom: number;
  readonly docs: Document[];
}

const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};

export class RawLegacyClient {
  private buffered = Buffer.alloc(0);
  private readonly waiting: ((r: RawReply) => void)[] = [];
  private nextId = 1;
  closed = false;

  private constructor(private readonly socket: tls.TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => undefined);
  }

  static async connect(port: number, caPem: string): Promise<RawLegacyClient> {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: caPem, servername: 'juju-mongodb' });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', () => resolve());
      socket.once('error', reject);
    });
    return new RawLegacyClient(socket);
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4 && this.buffered.length >= this.buffered.readInt32LE(0)) {
      const len = this.buffered.readInt32LE(0);
      const m = this.buffered.subarray(0, len);
      this.buffered = this.buffered.subarray(len);
      const docs: Document[] = [];
      for (let pos = 36; pos < m.length; pos += m.readInt32LE(pos)) docs.push(deserialize(m.subarray(pos, pos + m.readInt32LE(pos))));
      this.waiting.shift()?.({ responseTo: m.readInt32LE(8), flags: m.readInt32LE(16), cursorId: m.readBigInt64LE(20), startingFrom: m.readInt32LE(28), docs });
    }
  }

  private frame(opCode: number, body: Buffer[]): { id: number; bytes: Buffer } {
    const id = this.nextId++;
    const rest = Buffer.concat(body);
    return { id, bytes: Buffer.concat([i32(16 + rest.length), i32(id), i32(0), i32(opCode), rest]) };
  }

  /** Send a message; resolves with the next reply (or rejects after `timeoutMs` without one). */
  private exchange(bytes: Buffer, timeoutMs: number): Promise<RawReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(done), 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (r: RawReply): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiting.push(done);
      this.socket.write(bytes);
    });
  }

  query(ns: string, query: Document, opts: { flags?: number; skip?: number; limit?: number; fields?: Document; timeoutMs?: number } = {}): Promise<RawReply> {
    const body = [i32(opts.flags ?? 0), Buffer.from(`${ns}\0`), i32(opts.skip ?? 0), i32(opts.limit ?? 0), Buffer.from(serialize(query))];
    if (opts.fields) body.push(Buffer.from(serialize(opts.fields)));
    return this.exchange(this.frame(OP_QUERY, body).bytes, opts.timeoutMs ?? 5000);
  }

  async command(db: string, cmd: Document): Promise<Document> {
    const r = await this.query(`${db}.$cmd`, cmd, { limit: -1 });
    return r.docs[0]!;
  }

  getMore(ns: string, cursorId: bigint, limit = 0): Promise<RawReply> {
    const id = Buffer.alloc(8);
    id.writeBigInt64LE(cursorId);
    return this.exchange(this.frame(OP_GET_MORE, [i32(0), Buffer.from(`${ns}\0`), i32(limit), id]).bytes, 5000);
  }

  /** OP_INSERT: fire-and-forget, as 2.4 clients send it (getLastError tells the outcome). */
  insert(ns: string, docs: Document[], flags = 0): void {
    this.socket.write(this.frame(OP_INSERT, [i32(flags), Buffer.from(`${ns}\0`), ...docs.map((d) => Buffer.from(serialize(d)))]).bytes);
  }

  /** An OP_MSG `hello`, as a modern driver would send it; resolves with its reply, if any ever comes. */
  opMsg(body: Document, timeoutMs: number): Promise<RawReply> {
    return this.exchange(this.frame(OP_MSG, [i32(0), Buffer.from([0]), Buffer.from(serialize(body))]).bytes, timeoutMs);
  }

  /** MONGODB-CR: getnonce, then authenticate. Returns authenticate's reply. */
  async authenticate(db: string, user: string, password: string): Promise<Document> {
    const { nonce } = (await this.command(db, { getnonce: 1 })) as { nonce: string };
    const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
    const key = md5(nonce + user + md5(`${user}:mongo:${password}`));
    return this.command(db, { authenticate: 1, user, nonce, key });
  }

  close(): void {
    this.socket.destroy();
  }
}
