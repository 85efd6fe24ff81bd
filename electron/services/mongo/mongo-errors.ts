import { QuorumError } from '../../../shared/errors';
import { JujuDbTimeoutError, JujuDbUnsupportedServerError } from './juju-db-client';
import { MongoErrorWords } from './mongo-error-words';
import type { SecretRegistry } from '../../../shared/redact';

/**
 * The one place driver errors become operator-facing errors, in the spirit
 * of Compass's data-service wrapper: authentication (code 18) →
 * `mongo-auth-failed`, certificate problems → `tls-failed`, network and
 * server-selection failures → `mongo-unavailable`. Each message says in
 * words what happened (port closed, no answer within N s, TLS handshake
 * failed, password refused) and what to check; the driver's own text goes to
 * `details.raw` (the UI's "Details" disclosure, and the log). Driver messages
 * can quote connection strings and hosts; every message is redacted
 * (registered secrets, `user:password@` in URIs) before it is used.
 */

export interface MongoErrorContext {
  /** Machine address, e.g. `10.23.0.10`. */
  readonly address: string;
  /** User the driver authenticated as, e.g. `machine-0`. */
  readonly user: string;
  /** Where the CA came from, for tls-failed messages. */
  readonly caSource?: string;
  /** Juju machine id (`0`), when known: messages say "machine 0 (10.23.0.10)". */
  readonly machineId?: string | null;
  /**
   * The SSH tunnel's last failure to open a `direct-tcpip` channel to
   * 127.0.0.1:37017, if recent: the real reason behind a connection the
   * client saw reset or closed (the tunnel can only drop its local socket).
   */
  readonly channelFailure?: () => unknown;
}

/** Certificate verification failures (the peer speaks TLS, its certificate is not trusted). */
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** TLS handshake failures: what answered does not speak TLS (or not a TLS juju-db accepts). */
const HANDSHAKE_CODE = /^(EPROTO|ERR_SSL_|ERR_TLS_)/;
const AUTH_CODES = new Set([18, 11]); // AuthenticationFailed, UserNotFound
// 10054/10058/13435: 2.4's "not master" (write, command, query without slaveOk).
const NOT_PRIMARY_CODES = new Set([10107, 13435, 13436, 189, 91, 11600, 11602, 10054, 10058]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  codeName?: unknown;
  cause?: unknown;
  /** A selection error's topology description, or ssh2's channel-open failure reason (1, 2 …). */
  reason?: unknown;
}

/** The error, its causes, and the per-server errors of a selection failure. */
function collect(error: unknown, out: ErrorLike[] = [], depth = 0): ErrorLike[] {
  if (error === null || typeof error !== 'object' || depth > 6 || out.includes(error as ErrorLike)) return out;
  const e = error as ErrorLike;
  out.push(e);
  collect(e.cause, out, depth + 1);
  const servers = (e.reason as { servers?: unknown } | undefined)?.servers;
  if (servers instanceof Map) for (const s of servers.values() as Iterable<{ error?: unknown } | undefined>) collect(s?.error, out, depth + 1);
  return out;
}

/** Redacts secrets and URI credentials from driver text. */
export function redactDriverText(text: string, secrets: SecretRegistry): string {
  return secrets.redact(text.replace(/(mongodb(?:\+srv)?:\/\/)[^@/\s]*@/gi, '$1[redacted]@'));
}


/** `(SSH) Channel open failure: …` from ssh2, wherever it sits in a chain. */
function channelOpenFailure(error: unknown): ErrorLike | undefined {
  return collect(error).find((e) => /Channel open failure/i.test(e.message ?? ''));
}

/** The milliseconds a "… after 5000 ms" / "within 5000 ms" message names. */
function msIn(text: string): number | null {
  const m = /(?:after|within)\s+(\d+)\s*ms/i.exec(text);
  return m ? Number(m[1]) : null;
}

export function translateMongoError(error: unknown, context: MongoErrorContext, secrets: SecretRegistry): QuorumError {
  if (error instanceof QuorumError) return error;
  const all = collect(error);
  const first = all[0];
  const raw = redactDriverText(all.map((e) => e.message ?? '').filter((m, i, a) => m !== '' && a.indexOf(m) === i).join(' ← ') || String(error), secrets).slice(0, 600);
  const words = new MongoErrorWords(context, raw);

  if (first?.name === 'AbortError') return words.cancelled(error);
  const unsupported = all.find((e): e is JujuDbUnsupportedServerError => e instanceof JujuDbUnsupportedServerError);
  if (unsupported) return words.unsupported(unsupported.found, error);
  // "auth fails" is MongoDB 2.4's MONGODB-CR answer (no code); later servers say "Authentication failed." with code 18.
  const auth = all.find((e) => (typeof e.code === 'number' && AUTH_CODES.has(e.code)) || /Authentication failed|auth fails/i.test(e.message ?? ''));
  if (auth) return words.authRefused(error);
  const cert = all.find((e) => (typeof e.code === 'string' && CERT_CODES.has(e.code)) || /certificate|self[- ]signed/i.test(e.message ?? ''));
  if (cert) return words.certificateRejected(redactDriverText(cert.message ?? 'certificate rejected', secrets).slice(0, 200), error);
  const notPrimary = all.find((e) => (typeof e.code === 'number' && NOT_PRIMARY_CODES.has(e.code)) || /^not master/.test(e.message ?? ''));
  if (notPrimary) return words.notPrimary(redactDriverText(notPrimary.message ?? '', secrets).slice(0, 200), error);
  // The port: the SSH server could not connect to 127.0.0.1:37017, whatever the client then saw.
  const channel = channelOpenFailure(error) ?? channelOpenFailure(context.channelFailure?.());
  if (channel) {
    const detail = redactDriverText(channel.message ?? '', secrets);
    return words.portClosed(channel.reason === 1 ? 'prohibited' : 'refused', raw === '' ? detail : `${detail} ← ${raw}`, error);
  }
  const handshake = all.find((e) => (typeof e.code === 'string' && HANDSHAKE_CODE.test(e.code)) || /SSL routines|wrong version number|TLS handshake with .* failed/i.test(e.message ?? ''));
  if (handshake) return words.handshakeFailed(error);
  const timeout = all.find((e): e is JujuDbTimeoutError => e instanceof JujuDbTimeoutError);
  const timeoutMs = timeout && timeout.timeoutMs > 0 ? timeout.timeoutMs : all.map((e) => (/timed out|did not answer/i.test(e.message ?? '') ? msIn(e.message ?? '') : null)).find((ms) => ms !== null);
  if (timeout || (timeoutMs ?? null) !== null) return words.noAnswer(timeoutMs ?? null, error);
  const network = all.find((e) => /MongoNetwork|MongoServerSelection|MongoTopologyClosed|MongoNotConnected|PoolClosed|PoolCleared|JujuDbNetworkError/.test(e.name ?? '') || (typeof e.code === 'string' && /^E(CONNRESET|PIPE|CONNREFUSED|CONNABORTED)$/.test(e.code)));
  if (network) {
    const duringHandshake = all.some((e) => /during the TLS handshake|before secure TLS connection/i.test(e.message ?? ''));
    return words.connectionDropped(duringHandshake, error);
  }
  const serverCode = typeof first?.code === 'number' ? ` (code ${first.code}${typeof first.codeName === 'string' ? ` ${first.codeName}` : ''})` : '';
  return words.serverError(serverCode, error);
}
