/**
 * MONGODB-CR, MongoDB 2.4's challenge-response authentication
 * (db/commands/security_commands.cpp): `getnonce` answers `{nonce: <hex>}`
 * and remembers it on the connection; `authenticate {user, nonce, key}`
 * checks key = md5hex(nonce + user + pwd) where pwd is the user document's
 * `pwd` (md5hex of `user:mongo:password`), looked up in `<db>.system.users`.
 * Failures answer `{ok: 0, errmsg: "auth fails"}` (unknown users:
 * "auth: couldn't find user <user>@<db>, <db>.system.users"), without a code:
 * 2.4 appends none (2.6 changed both, to "auth failed" with code 18).
 */
import { createHash, randomBytes } from 'node:crypto';
import { deserialize, type Document } from 'bson';
import { LegacyCommandFailure } from './repl-status';
import type { LegacyContext } from './context';

export function md5hex(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/** The key a client sends: md5hex(nonce + user + md5hex(`user:mongo:password`)). */
export function mongoCrKey(nonce: string, user: string, passwordDigest: string): string {
  return md5hex(nonce + user + passwordDigest);
}

/** A 2.4 user document by name in `<db>.system.users` (2.4 user documents of this db have no `userSource`). */
export function findLegacyUser(ctx: Pick<LegacyContext, 'node'>, db: string, user: string): Document | undefined {
  const coll = ctx.node.store?.catalog.get(`${db}.system.users`);
  if (!coll) return undefined;
  for (const raw of coll.docs.values()) {
    const d = deserialize(raw);
    if (d.user === user && (d.userSource === undefined || d.userSource === null)) return d;
  }
  return undefined;
}

function authFails(): LegacyCommandFailure {
  return new LegacyCommandFailure({ ok: 0, errmsg: 'auth fails' });
}

export function getnonce(ctx: LegacyContext): Document {
  // `ss << hex << nonce64`: a 64-bit random number in hex (top nibble kept non-zero so it is always 16 digits).
  const bytes = randomBytes(8);
  bytes[0] = bytes[0]! | 0x10;
  const nonce = bytes.toString('hex');
  ctx.session.nonce = nonce;
  return { nonce, ok: 1 };
}

export function authenticate(ctx: LegacyContext): Document {
  const cmd = ctx.cmd;
  const mechanism = typeof cmd.mechanism === 'string' && cmd.mechanism !== '' ? cmd.mechanism : 'MONGODB-CR';
  if (mechanism !== 'MONGODB-CR') {
    throw new LegacyCommandFailure({ ok: 0, errmsg: `Unsupported mechanism ${mechanism} on authenticate command`, code: 2 });
  }
  const user = typeof cmd.user === 'string' ? cmd.user : '';
  const key = typeof cmd.key === 'string' ? cmd.key : '';
  const nonce = typeof cmd.nonce === 'string' ? cmd.nonce : '';
  const expected = ctx.session.nonce;
  ctx.session.nonce = null; // a nonce is good for one attempt
  if (!user || !key || !nonce) throw authFails();
  if (expected === null || expected !== nonce) throw authFails();
  const doc = findLegacyUser(ctx, ctx.db, user);
  if (!doc || typeof doc.pwd !== 'string') {
    throw new LegacyCommandFailure({ ok: 0, errmsg: `auth: couldn't find user ${user}@${ctx.db}, ${ctx.db}.system.users` });
  }
  if (mongoCrKey(nonce, user, doc.pwd) !== key) throw authFails();
  ctx.conn.user = user;
  ctx.conn.userDb = ctx.db;
  return { dbname: ctx.db, user, ok: 1 };
}
