import { ApiError } from './errors';

/**
 * Juju 1.25's JSON-RPC framing (rpc/jsoncodec, 1.x): one JSON object per
 * WebSocket text frame, CamelCase keys without JSON tags, every outgoing
 * field `omitempty` except `RequestId`. Go's encoding/json matches keys
 * case-insensitively, so `requestid` is read as `RequestId` here too; the
 * 2.x lower-case `request-id` form is not understood (as on a 1.25 server).
 */

export interface RpcRequest {
  readonly requestId: number;
  readonly type: string;
  readonly version: number;
  readonly id: string;
  readonly request: string;
  /** Absent params decode as undefined (Go: the zero value). */
  readonly params: unknown;
}

/** A frame the server reads: a request to answer, a response to ignore (the server makes no calls), or garbage that ends the connection. */
export type Incoming = { readonly kind: 'request'; readonly request: RpcRequest } | { readonly kind: 'ignored' } | { readonly kind: 'invalid'; readonly reason: string };

/** Go's case-insensitive struct field lookup: the exact key first, then any key equal ignoring case. */
export function field(obj: unknown, name: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (Object.hasOwn(record, name)) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

function uint(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new Error(`cannot unmarshal ${what}`);
  return value;
}

function int(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`cannot unmarshal ${what}`);
  return value;
}

function str(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new Error(`cannot unmarshal ${what}`);
  return value;
}

/** Decodes one text frame; `Header.IsRequest()` is "Type or Request non-empty". */
export function decodeFrame(text: string): Incoming {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { kind: 'invalid', reason: `error receiving message: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { kind: 'invalid', reason: 'error receiving message: not an object' };
  try {
    const request: RpcRequest = {
      requestId: uint(field(parsed, 'RequestId'), 'RequestId'),
      type: str(field(parsed, 'Type'), 'Type'),
      version: int(field(parsed, 'Version'), 'Version'),
      id: str(field(parsed, 'Id'), 'Id'),
      request: str(field(parsed, 'Request'), 'Request'),
      params: field(parsed, 'Params') ?? undefined,
    };
    if (request.type === '' && request.request === '') return { kind: 'ignored' };
    return { kind: 'request', request };
  } catch (err) {
    return { kind: 'invalid', reason: `error receiving message: ${(err as Error).message}` };
  }
}

/** A success: `{"RequestId":n,"Response":…}`; a method without a result answers `{}`. */
export function encodeResponse(requestId: number, response: unknown): string {
  return JSON.stringify({ RequestId: requestId, Response: response ?? {} });
}

/**
 * A request-level error. rpc/server.go writes the body `struct{}{}`, so
 * `Response:{}` is present; `ErrorCode` is omitted when there is none.
 */
export function encodeError(requestId: number, error: ApiError): string {
  return JSON.stringify({ RequestId: requestId, Error: error.message, ...(error.code !== '' ? { ErrorCode: error.code } : {}), Response: {} });
}
