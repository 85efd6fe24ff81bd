/**
 * One error type for all of Quorum. Every failure that reaches an operator
 * carries a stable code (for tests and UI logic) and a sentence that says what
 * happened and what to do next. Errors cross IPC as plain data
 * (`SerializedError`) because structured clone and JSON both drop class
 * identity and most fields of `Error`.
 *
 * This module is pure TypeScript: no Node, Electron or React imports.
 */

export const ERROR_CODES = [
  // contract and transport
  'invalid-input',
  'unknown-channel',
  'forbidden',
  'not-found',
  'conflict',
  'busy',
  'cancelled',
  'timeout',
  'internal',
  // environments
  'environment-invalid',
  // connection layer
  'host-unreachable',
  'ssh-auth-failed',
  'passphrase-required',
  'host-key-unknown',
  'host-key-changed',
  'agent-conf-unreadable',
  'mongo-auth-failed',
  'tls-failed',
  'mongo-unavailable',
  'mongo-unsupported',
  'remote-command-failed',
  // backups, restore, HA
  'ha-not-ready',
  'quorum-lost',
  'insufficient-space',
  'disk-full',
  'archive-invalid',
  'checksum-mismatch',
  'unsafe-path',
  // Juju API (HA)
  'juju-api-unreachable',
  'juju-login-refused',
  'juju-blocked',
  'juju-api-error',
  'admin-password-required',
  // sandbox
  'sandbox-failed',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The wire form of an error: what the renderer and logs see. */
export interface SerializedError {
  readonly code: ErrorCode;
  /** What happened, and what to do next, in one or two sentences. */
  readonly message: string;
  /** Extra structured facts the UI may show (never secrets). */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
}

export class QuorumError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, string | number | boolean | null>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { details?: Record<string, string | number | boolean | null>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'QuorumError';
    this.code = code;
    this.details = options?.details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isQuorumError(value: unknown): value is QuorumError {
  return value instanceof QuorumError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Turns anything thrown into a `SerializedError`. Unknown errors become
 * `internal` with a generic sentence: their raw message may hold details
 * (paths, hosts, even secrets) that were never meant for an operator, so
 * callers that know better must throw a `QuorumError` themselves.
 */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof QuorumError) return error.toJSON();
  return {
    code: 'internal',
    message: 'Quorum hit an unexpected internal error. The details are in the log; please report it.',
  };
}

/** Exhaustiveness guard for switches over unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
