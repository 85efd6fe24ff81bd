/**
 * Authentication (`saslStart`/`saslContinue` with SCRAM-SHA-1/256) and the
 * user-management commands restore needs (`createUser`, `updateUser`,
 * `dropUser`, `usersInfo`). User changes are replicated writes to
 * `admin.system.users`, exactly as on a real replica set.
 */
import { Binary, deserialize, type Document } from 'bson';
import { flag } from '../bson-eval';
import { MongoServerError } from '../errors';
import { ScramServerConversation, type ScramMechanism } from '../scram';
import { credentialOf, userDocument, userId, USERS_NS } from '../users';
import { awaitWriteConcern, requirePrimary, type CommandContext, type CommandSpec } from './context';
import { toBson } from '../raw-bson';

function authFailed(): MongoServerError {
  return new MongoServerError('AuthenticationFailed', 'Authentication failed.');
}

function payloadBytes(p: unknown): Buffer {
  if (p instanceof Binary) return Buffer.from(p.buffer.subarray(0, p.position));
  if (p instanceof Uint8Array) return Buffer.from(p);
  if (typeof p === 'string') return Buffer.from(p, 'utf8');
  return Buffer.alloc(0);
}

function lookupUser(ctx: CommandContext, db: string, user: string): Document | undefined {
  const raw = ctx.node.store?.catalog.get(USERS_NS)?.get('s' + userId(db, user));
  return raw ? deserialize(raw) : undefined;
}

/** Run a saslStart (also used for `speculativeAuthenticate` in hello). */
export function saslStartReply(ctx: CommandContext, db: string, cmd: Document): Document {
  const mechanism = cmd.mechanism as string;
  if (mechanism !== 'SCRAM-SHA-1' && mechanism !== 'SCRAM-SHA-256') {
    throw new MongoServerError('BadValue', `Received authentication for mechanism ${mechanism} which is unknown or not enabled`);
  }
  const conversation = new ScramServerConversation(mechanism as ScramMechanism);
  let user: string;
  try {
    user = conversation.parseClientFirst(payloadBytes(cmd.payload));
  } catch {
    throw authFailed();
  }
  const userDoc = lookupUser(ctx, db, user);
  const cred = userDoc ? credentialOf(userDoc, mechanism as ScramMechanism) : undefined;
  if (!userDoc || !cred) throw authFailed();
  const serverFirst = conversation.serverFirstMessage(cred);
  const options = (cmd.options as Document | undefined) ?? {};
  ctx.conn.sasl = { conversation, id: 1, userDoc, skipEmptyExchange: flag(options.skipEmptyExchange) };
  return { conversationId: 1, done: false, payload: new Binary(serverFirst) };
}

function saslStart(ctx: CommandContext): Document {
  return { ...saslStartReply(ctx, ctx.db, ctx.cmd), ok: 1 };
}

function saslContinue(ctx: CommandContext): Document {
  const s = ctx.conn.sasl;
  if (!s) throw new MongoServerError('ProtocolError', 'No SASL session state found');
  if (s.conversation.done) {
    ctx.conn.sasl = null;
    return { conversationId: s.id, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
  }
  let serverFinal: Buffer;
  try {
    serverFinal = s.conversation.finish(payloadBytes(ctx.cmd.payload));
  } catch {
    ctx.conn.sasl = null;
    throw authFailed();
  }
  ctx.conn.user = s.conversation.user;
  ctx.conn.userDb = s.userDoc.db as string;
  if (s.skipEmptyExchange) ctx.conn.sasl = null;
  return { conversationId: s.id, done: s.skipEmptyExchange, payload: new Binary(serverFinal), ok: 1 };
}

function rolesOf(v: unknown, db: string): Document[] {
  if (!Array.isArray(v)) return [];
  return v.map((r) => (typeof r === 'string' ? { role: r, db } : (r as Document)));
}

async function createUser(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const user = ctx.cmd.createUser as string;
  const pwd = ctx.cmd.pwd;
  if (typeof user !== 'string' || user === '') throw new MongoServerError('BadValue', 'Must provide a user name');
  if (typeof pwd !== 'string' || pwd === '') throw new MongoServerError('BadValue', 'Must provide a \'pwd\' field for all user documents, except those with \'$external\' as the user\'s source db');
  if (lookupUser(ctx, ctx.db, user)) throw new MongoServerError('Location51003', `User "${user}@${ctx.db}" already exists`);
  const mechs = (Array.isArray(ctx.cmd.mechanisms) ? ctx.cmd.mechanisms : ['SCRAM-SHA-1', 'SCRAM-SHA-256']) as ScramMechanism[];
  const doc = userDocument(ctx.db, user, pwd, rolesOf(ctx.cmd.roles, ctx.db), mechs);
  if (ctx.cmd.customData) doc.customData = ctx.cmd.customData;
  const entry = ctx.node.write('i', USERS_NS, toBson(doc));
  const wce = await awaitWriteConcern(ctx, entry);
  return wce ? { ok: 1, writeConcernError: wce } : { ok: 1 };
}

async function updateUser(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const user = ctx.cmd.updateUser as string;
  const existing = lookupUser(ctx, ctx.db, user);
  if (!existing) throw new MongoServerError('UserNotFound', `User ${user}@${ctx.db} not found`);
  let doc: Document = { ...existing };
  if (typeof ctx.cmd.pwd === 'string') {
    const fresh = userDocument(ctx.db, user, ctx.cmd.pwd, existing.roles as Document[]);
    doc = { ...doc, credentials: fresh.credentials };
  }
  if (ctx.cmd.roles !== undefined) doc.roles = rolesOf(ctx.cmd.roles, ctx.db);
  if (ctx.cmd.customData !== undefined) doc.customData = ctx.cmd.customData;
  const entry = ctx.node.write('u', USERS_NS, toBson(doc), toBson({ _id: doc._id }));
  const wce = await awaitWriteConcern(ctx, entry);
  return wce ? { ok: 1, writeConcernError: wce } : { ok: 1 };
}

async function dropUser(ctx: CommandContext): Promise<Document> {
  requirePrimary(ctx);
  const user = ctx.cmd.dropUser as string;
  if (!lookupUser(ctx, ctx.db, user)) throw new MongoServerError('UserNotFound', `User '${user}@${ctx.db}' not found`);
  const entry = ctx.node.write('d', USERS_NS, toBson({ _id: userId(ctx.db, user) }));
  const wce = await awaitWriteConcern(ctx, entry);
  return wce ? { ok: 1, writeConcernError: wce } : { ok: 1 };
}

function usersInfo(ctx: CommandContext): Document {
  const coll = ctx.node.store?.catalog.get(USERS_NS);
  const arg = ctx.cmd.usersInfo;
  const wanted = (d: Document): boolean => {
    if (typeof arg === 'string') return d.user === arg && d.db === ctx.db;
    if (arg && typeof arg === 'object' && !Array.isArray(arg) && 'user' in arg) return d.user === (arg as Document).user && d.db === ((arg as Document).db ?? ctx.db);
    return d.db === ctx.db;
  };
  const users: Document[] = [];
  for (const raw of coll?.docs.values() ?? []) {
    const d = deserialize(raw);
    if (!wanted(d)) continue;
    const { credentials, ...rest } = d;
    users.push({ ...rest, mechanisms: Object.keys((credentials as Document) ?? {}), ...(flag(ctx.cmd.showCredentials) ? { credentials } : {}) });
  }
  return { users, ok: 1 };
}

export const authCommands: Record<string, CommandSpec> = {
  saslStart: { handler: saslStart, noAuth: true },
  saslContinue: { handler: saslContinue, noAuth: true },
  logout: {
    handler: (ctx) => {
      ctx.conn.user = null;
      ctx.conn.userDb = null;
      return { ok: 1 };
    },
    noAuth: true,
  },
  authenticate: {
    handler: () => {
      throw new MongoServerError('AuthenticationFailed', 'Authentication failed.');
    },
    noAuth: true,
  },
  createUser: { handler: createUser },
  updateUser: { handler: updateUser },
  dropUser: { handler: dropUser },
  usersInfo: { handler: usersInfo },
};
