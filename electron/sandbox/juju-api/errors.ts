/**
 * Juju 1.25's API errors as they reach the wire: a message and an optional
 * code (`params.Code*`). Request-level errors go in the response's
 * `Error`/`ErrorCode`; bulk results carry `params.Error` (`{Message, Code}`,
 * no JSON tags in 1.25). Messages are Juju's own words (PROTOCOL.md §2, §3).
 */

/** `params.Code*` values the sandbox's API server answers with. */
export const CODES = {
  notFound: 'not found',
  unauthorized: 'unauthorized access',
  notImplemented: 'not implemented',
  operationBlocked: 'operation is blocked',
  notProvisioned: 'not provisioned',
  excessiveContention: 'excessive contention',
  tryAgain: 'try again',
} as const;

/** An error with Juju's message and code ('' = none, omitted on the wire). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string = '',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `common.ErrBadCreds`: the same answer for unknown users and wrong passwords, on purpose. */
export function badCreds(): ApiError {
  return new ApiError('invalid entity name or password', CODES.unauthorized);
}

/** `common.ErrPerm`. */
export function permissionDenied(): ApiError {
  return new ApiError('permission denied', CODES.unauthorized);
}

/**
 * `rpcreflect.CallNotImplementedError`: unknown facade (no method) or
 * unknown method, with the version in the text only when it is not 0.
 */
export function callNotImplemented(facade: string, version: number, method?: string): ApiError {
  if (method === undefined) {
    const message = version !== 0 ? `unknown version (${version}) of interface ${goQuote(facade)}` : `unknown object type ${goQuote(facade)}`;
    return new ApiError(message, CODES.notImplemented);
  }
  const where = version !== 0 ? `${facade}(${version})` : facade;
  return new ApiError(`no such request - method ${where}.${method} is not implemented`, CODES.notImplemented);
}

/** `common.OperationBlockedError`: the block's message, or Juju's default when it has none. */
export function operationBlocked(message: string): ApiError {
  return new ApiError(message === '' ? 'the operation has been blocked' : message, CODES.operationBlocked);
}

/** `params.Error` in a bulk result (1.25: no JSON tags, so `Message`/`Code`; `Code` is always present). */
export interface WireError {
  readonly Message: string;
  readonly Code: string;
}

/** `common.ServerError(err)` for a bulk result; null for success. */
export function toWireError(err: unknown): WireError | null {
  if (err === null || err === undefined) return null;
  if (err instanceof ApiError) return { Message: err.message, Code: err.code };
  return { Message: err instanceof Error ? err.message : String(err), Code: '' };
}

/** Go's `%q` for plain strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
