/**
 * `getLastError` as MongoDB 2.4 answers it (db/dbcommands.cpp
 * CmdGetLastError): the last error's fields (`err`, `code`,
 * `updatedExisting`, `upserted`, `n`), then `lastOp` and `connectionId`;
 * with an error it stops there (ok: 1). `w` (number or "majority") waits
 * through the member's write-concern machinery: `wtime` on success, or
 * `wtimeout: true`, `waited`, `err: "timeout"` (still ok: 1) once `wtimeout`
 * ms pass; a primary that steps down meanwhile answers "not master". `j`
 * needs no wait (every write is journaled before it is acknowledged).
 * Finally `err: null`.
 */
import { Timestamp, type Document } from 'bson';
import { flag, num } from '../bson-eval';
import { MongoServerError } from '../errors';
import { NULL_OPTIME } from '../oplog';
import type { LegacyContext } from './context';
import { LegacyCommandFailure } from './repl-status';

export async function getLastError(ctx: LegacyContext): Promise<Document> {
  const le = ctx.session.lastError;
  const out: Document = {};
  const hadError = le.appendForGetLastError(out);
  out.lastOp = new Timestamp({ t: le.lastOp.ts.t, i: le.lastOp.ts.i });
  out.connectionId = ctx.conn.id;
  const cmd = ctx.cmd;
  if (flag(cmd.j) && flag(cmd.fsync)) throw new LegacyCommandFailure({ ...out, ok: 0, errmsg: 'fsync and j options are not used together' });
  if (flag(cmd.fsync) && !flag(cmd.j)) out.waited = 0;
  if (hadError) return { ...out, ok: 1 };
  if (cmd.w !== undefined) {
    const started = Date.now();
    if (le.lastOp === NULL_OPTIME) {
      out.wnote = 'no write has been done on this connection';
    } else {
      const w = typeof cmd.w === 'string' ? 'majority' : num(cmd.w, 1);
      if (w === 'majority' || w > 1) {
        try {
          await ctx.node.waitForWriteConcern(le.lastOp, w, num(cmd.wtimeout, 0));
        } catch (err) {
          if (err instanceof MongoServerError && err.codeName === 'WriteConcernFailed') {
            return { ...out, wtimeout: true, waited: Date.now() - started, err: 'timeout', ok: 1 };
          }
          throw new LegacyCommandFailure({ ...out, wnote: 'no longer primary', ok: 0, errmsg: 'not master' });
        }
      }
      out.wtime = Date.now() - started;
    }
  }
  out.err = null;
  out.ok = 1;
  return out;
}
