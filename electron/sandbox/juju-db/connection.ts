/**
 * One client connection: frames the byte stream, decodes OP_QUERY / OP_MSG
 * (or, on the 2.4 profile, hands every message to `legacy/session.ts`),
 * runs commands strictly in arrival order and writes replies. Auth and SASL
 * state live here, per connection, as in mongod.
 */
import type tls from 'node:tls';
import { deserialize, type Document } from 'bson';
import { TYPED } from './bson-eval';
import { runCommand } from './commands/dispatch';
import type { ConnectionState } from './commands/context';
import { LegacySession } from './legacy/session';
import type { ReplicaNode } from './node';
import { MSG_MORE_TO_COME, MessageFramer, encodeOpMsg, encodeOpReply, parseMessage, type WireRequest } from './wire';

let nextConnectionId = 1;
let nextResponseId = 1;

export class Connection implements ConnectionState {
  readonly id = nextConnectionId++;
  user: string | null = null;
  userDb: string | null = null;
  sasl: ConnectionState['sasl'] = null;
  readonly remote: string;
  private readonly framer = new MessageFramer();
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** The 2.4 profile's protocol handler (null on the modern profile). */
  private readonly legacy: LegacySession | null;

  constructor(
    private readonly socket: tls.TLSSocket,
    private readonly node: ReplicaNode,
  ) {
    this.remote = `${socket.remoteAddress ?? '127.0.0.1'}:${socket.remotePort ?? 0}`;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.destroy());
    socket.on('close', () => {
      this.closed = true;
    });
    this.legacy = node.hooks.profile === '2.4' ? new LegacySession(node, this, (chunks) => this.send(chunks)) : null;
  }

  private onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const m of messages) {
      this.queue = this.queue.then(() => this.handle(m)).catch(() => this.destroy());
    }
  }

  private async handle(buf: Buffer): Promise<void> {
    if (this.closed) return;
    if (this.legacy) return this.legacy.handle(buf);
    const req: WireRequest = parseMessage(buf);
    if (req.kind === 'query') {
      const [db] = req.fullCollectionName.split('.');
      let cmd: Document = deserialize(req.query, TYPED);
      if (cmd.$query && typeof cmd.$query === 'object') cmd = cmd.$query as Document;
      const reply = await runCommand({ node: this.node, conn: this, db: db ?? 'admin', cmd, sequences: new Map() });
      this.send(encodeOpReply(nextResponseId++, req.header.requestId, [reply.length === 1 ? reply[0]! : Buffer.concat(reply)]));
      return;
    }
    const cmd: Document = deserialize(req.body, TYPED);
    const sequences = new Map<string, Buffer[]>();
    for (const s of req.sequences) sequences.set(s.identifier, s.documents);
    const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
    const reply = await runCommand({ node: this.node, conn: this, db, cmd, sequences });
    if (req.flags & MSG_MORE_TO_COME) return;
    this.send(encodeOpMsg(nextResponseId++, req.header.requestId, reply));
  }

  private send(chunks: Buffer[]): void {
    if (this.closed || this.socket.destroyed) return;
    // Header and body go out as separate writes (no copy of a 16 MiB batch).
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
