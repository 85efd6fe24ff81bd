/**
 * One client connection on the 2.4 profile: decodes the legacy opcodes and
 * runs them in arrival order, keeping what 2.4 keeps per connection (the
 * MONGODB-CR nonce, the last error, the client's last write). Anything else
 * (OP_MSG, OP_COMPRESSED, unknown opcodes) gets no reply and changes
 * nothing: 2.4's assembleResponse logs "operation isn't supported" and
 * carries on with the connection open, so a client that sends one waits
 * for its own timeout.
 */
import { deserialize, type Document } from 'bson';
import { TYPED } from '../bson-eval';
import type { ConnectionState } from '../commands/context';
import type { ReplicaNode } from '../node';
import { runLegacyCommand } from './commands';
import type { LegacyContext, LegacySessionState } from './context';
import { LastError } from './last-error';
import { encodeLegacyReply, parseLegacyMessage, type LegacyRequest } from './messages';
import { legacyGetMore, legacyKillCursors, legacyQuery, queryFailure, type LegacyReply } from './query';
import { legacyDelete, legacyInsert, legacyUpdate } from './writes';

let nextResponseId = 1;

export class LegacySession implements LegacySessionState {
  nonce: string | null = null;
  readonly lastError = new LastError();
  /** Opcodes ignored so far (for tests and diagnostics). */
  ignored = 0;

  constructor(
    private readonly node: ReplicaNode,
    private readonly conn: ConnectionState,
    private readonly send: (chunks: Buffer[]) => void,
  ) {}

  private context(db: string, queryFlags: number): LegacyContext {
    return { node: this.node, conn: this.conn, db, cmd: {}, name: '', sequences: new Map(), session: this, queryFlags };
  }

  /** Handle one complete message; malformed ones throw (the connection is then closed). */
  async handle(buf: Buffer): Promise<void> {
    const req: LegacyRequest = parseLegacyMessage(buf);
    if (req.kind !== 'killCursors' && req.kind !== 'unsupported') this.lastError.startRequest();
    switch (req.kind) {
      case 'query': {
        const dot = req.ns.indexOf('.');
        const db = dot > 0 ? req.ns.slice(0, dot) : req.ns;
        const query = deserialize(req.query, TYPED);
        let reply: LegacyReply;
        if (req.ns.slice(dot + 1) === '$cmd') {
          const { queryFlags: _q, ...ctx } = this.context(db, req.flags);
          reply = { docs: [await runLegacyCommand({ ...ctx, queryFlags: req.flags }, query)] };
        } else if (!this.node.store) {
          reply = queryFailure('interrupted at shutdown', 11600);
        } else {
          const fields: Document | undefined = req.fields ? deserialize(req.fields, TYPED) : undefined;
          reply = legacyQuery(this.context(db, req.flags), req, query, fields);
        }
        this.reply(req.header.requestId, reply);
        return;
      }
      case 'getMore':
        this.reply(req.header.requestId, legacyGetMore(this.context(dbOf(req.ns), 0), req));
        return;
      case 'killCursors':
        legacyKillCursors(this.context('admin', 0), req);
        return;
      case 'insert':
      case 'update':
      case 'delete': {
        if (!this.node.store) return;
        const ctx = this.context(dbOf(req.ns), 0);
        if (req.kind === 'insert') legacyInsert(ctx, req);
        else if (req.kind === 'update') legacyUpdate(ctx, req);
        else legacyDelete(ctx, req);
        return;
      }
      case 'unsupported':
        this.ignored++;
        return;
    }
  }

  private reply(responseTo: number, reply: LegacyReply): void {
    this.send(encodeLegacyReply(nextResponseId++, responseTo, reply));
  }
}

function dbOf(ns: string): string {
  const dot = ns.indexOf('.');
  return dot > 0 ? ns.slice(0, dot) : ns;
}
