/**
 * What every command handler receives, and the helpers most of them share:
 * namespace resolution, the primary check, document sources for reads and
 * write-concern waiting.
 */
import { type Document } from 'bson';
import { flag, num } from '../bson-eval';
import { MongoServerError } from '../errors';
import type { ReplicaNode } from '../node';
import type { OpTime } from '../oplog';
import { CollectionSource, OplogSource, StaticSource, type DocSource } from '../query/source';
import { configToDocument } from '../replset/config';
import { MemberState } from '../replset/member-state';
import type { ScramServerConversation } from '../scram';
import { toBson, type RawReply } from '../raw-bson';

/** Per-connection state handlers may read or change. */
export interface ConnectionState {
  readonly id: number;
  user: string | null;
  userDb: string | null;
  sasl: { conversation: ScramServerConversation; id: number; userDoc: Document; skipEmptyExchange: boolean } | null;
  readonly remote: string;
}

export interface CommandContext {
  readonly node: ReplicaNode;
  readonly conn: ConnectionState;
  readonly db: string;
  /** The command body (typed view). */
  readonly cmd: Document;
  readonly name: string;
  /** OP_MSG kind-1 sections by identifier. */
  readonly sequences: ReadonlyMap<string, Buffer[]>;
}

/** A reply: a document, a pre-serialised one, or chunks sent back to back (cursor batches). */
export type Reply = Document | Buffer | RawReply;

export type Handler = (ctx: CommandContext) => Reply | Promise<Reply>;

export interface CommandSpec {
  readonly handler: Handler;
  /** Allowed before authentication (handshake, auth, ping). */
  readonly noAuth?: boolean;
}

export function collectionName(ctx: CommandContext): string {
  const v = ctx.cmd[ctx.name];
  if (typeof v !== 'string' || v === '') {
    throw new MongoServerError('InvalidNamespace', `collection name has invalid type ${typeof v}`);
  }
  return v;
}

export function nsOf(ctx: CommandContext): string {
  return `${ctx.db}.${collectionName(ctx)}`;
}

export function requirePrimary(ctx: CommandContext): void {
  if (!ctx.node.isPrimary || ctx.node.state !== MemberState.PRIMARY) throw new MongoServerError('NotWritablePrimary', 'not primary');
}

/** Reads need a member in PRIMARY or SECONDARY state (as mongod). */
export function requireReadable(ctx: CommandContext): void {
  const s = ctx.node.state;
  if (ctx.db === 'local' || ctx.db === 'admin') return;
  if (s !== MemberState.PRIMARY && s !== MemberState.SECONDARY) {
    throw new MongoServerError('NotPrimaryOrSecondary', 'node is not in primary or recovering state');
  }
}

/** The document source for a namespace (virtual ones in `local`), or undefined if it does not exist. */
export function sourceFor(node: ReplicaNode, ns: string): DocSource | undefined {
  const store = node.store!;
  if (ns === 'local.oplog.rs') return new OplogSource(store.oplog);
  if (ns === 'local.system.replset') {
    return new StaticSource(ns, node.config ? [toBson(configToDocument(node.config))] : []);
  }
  const coll = store.catalog.get(ns);
  return coll ? new CollectionSource(coll) : undefined;
}

export function emptySource(ns: string): DocSource {
  return new StaticSource(ns, []);
}

/** Honour `writeConcern` after a write; returns a writeConcernError document if it failed. */
export async function awaitWriteConcern(ctx: CommandContext, optime: OpTime | null): Promise<Document | undefined> {
  const wc = ctx.cmd.writeConcern as Document | undefined;
  if (!wc || optime === null) return undefined;
  const w = wc.w === 'majority' ? 'majority' : num(wc.w, 1);
  if (w !== 'majority' && w <= 1) return undefined;
  try {
    await ctx.node.waitForWriteConcern(optime, w, num(wc.wtimeout ?? wc.wtimeoutMS, 0));
    return undefined;
  } catch (err) {
    if (err instanceof MongoServerError) return { code: err.code, codeName: err.codeName, errmsg: err.message, ...(err.extra ?? {}) };
    throw err;
  }
}

export function isUnacknowledged(ctx: CommandContext): boolean {
  const wc = ctx.cmd.writeConcern as Document | undefined;
  return !!wc && wc.w !== 'majority' && num(wc.w, 1) === 0;
}

export { flag, num };
