import { deserialize, type Document } from 'bson';
import { JujuDbServerError } from '../juju-db-client';
import type { LegacyConnection, RequestOptions } from './connection';
import { encodeQuery, newRequestId, QUERY_SLAVE_OK, REPLY_CURSOR_NOT_FOUND, REPLY_QUERY_FAILURE, type Reply } from './wire';

/**
 * Commands as legacy servers take them: an OP_QUERY for one document on
 * `<db>.$cmd`. Also the checks every OP_REPLY goes through (QueryFailure,
 * CursorNotFound), shared with cursors.
 */

export interface CommandOptions extends RequestOptions {
  /** SlaveOk flag; default true (juju-db is always reached directly). */
  readonly secondaryOk?: boolean | undefined;
  /** Keep int64 as bson `Long`; default false (numbers) for our own bookkeeping. */
  readonly keepLongs?: boolean | undefined;
}

/** Options for decoding documents we hand to callers or read ourselves. */
export function decodeOptions(keepLongs: boolean | undefined): { promoteLongs: boolean } {
  return { promoteLongs: keepLongs !== true };
}

/** A JujuDbServerError from a reply with `ok: 0`, `$err` or a getLastError `err`. */
export function serverError(reply: Document, fallback: string): JujuDbServerError {
  const message = [reply['errmsg'], reply['$err'], reply['err']].find((m): m is string => typeof m === 'string' && m !== '') ?? fallback;
  const code = typeof reply['code'] === 'number' ? reply['code'] : 0;
  const codeName = typeof reply['codeName'] === 'string' ? reply['codeName'] : undefined;
  return new JujuDbServerError(message, code, reply, codeName);
}

/** Throws for QueryFailure (the document holds `$err`) and CursorNotFound. */
export function checkReplyFlags(reply: Reply, what: string): void {
  if (reply.responseFlags & REPLY_QUERY_FAILURE) {
    const doc = reply.documents[0] ? deserialize(reply.documents[0]) : {};
    throw serverError(doc, `${what} failed`);
  }
  if (reply.responseFlags & REPLY_CURSOR_NOT_FOUND) {
    // 43 is CursorNotFound in later servers' numbering.
    throw new JujuDbServerError(`${what}: cursor not found on the server (it timed out or was killed)`, 43, {}, 'CursorNotFound');
  }
}

/** Runs `command` on `db` over `connection`; an `ok: 0` reply throws JujuDbServerError. */
export async function runCommand(connection: LegacyConnection, db: string, command: Document, options: CommandOptions): Promise<Document> {
  const name = Object.keys(command)[0] ?? 'command';
  const requestId = newRequestId();
  const message = encodeQuery(requestId, {
    flags: options.secondaryOk === false ? 0 : QUERY_SLAVE_OK,
    namespace: `${db}.$cmd`,
    skip: 0,
    numberToReturn: -1,
    query: command,
  });
  const reply = await connection.request(message, requestId, options);
  checkReplyFlags(reply, name);
  const raw = reply.documents[0];
  if (!raw) throw new JujuDbServerError(`${name} returned no document`, 0, {});
  const doc = deserialize(raw, decodeOptions(options.keepLongs));
  if (!isOk(doc['ok'])) throw serverError(doc, `${name} failed`);
  return doc;
}

/** `ok` may come as 1, 1.0, true or a Long. */
function isOk(ok: unknown): boolean {
  if (typeof ok === 'object' && ok !== null && 'toNumber' in ok && typeof ok.toNumber === 'function') return ok.toNumber() !== 0;
  return Boolean(ok);
}
