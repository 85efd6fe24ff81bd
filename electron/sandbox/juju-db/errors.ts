/**
 * MongoDB server errors as the wire protocol carries them: `{ok: 0, errmsg,
 * code, codeName}`. The sandbox uses MongoDB's own codes (not QuorumError) so
 * that the official driver classifies them exactly as it would a real mongod's.
 */

export const ErrorCodes = {
  InternalError: 1,
  ProtocolError: 17,
  BadValue: 2,
  NoSuchKey: 4,
  Unauthorized: 13,
  TypeMismatch: 14,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  MaxTimeMSExpired: 50,
  UserNotFound: 11,
  DuplicateKey: 11000,
  CommandNotFound: 59,
  WriteConcernFailed: 64,
  ImmutableField: 66,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  NodeNotFound: 74,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  InvalidReplicaSetConfig: 93,
  NotYetInitialized: 94,
  NotSecondary: 95,
  NewReplicaSetConfigurationIncompatible: 103,
  NodeNotElectable: 104,
  ExceededTimeLimit: 262,
  AlreadyInitialized: 23,
  ConfigurationInProgress: 109,
  PrimarySteppedDown: 189,
  Location51003: 51003,
  NotWritablePrimary: 10107,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
  InterruptedDueToReplStateChange: 11602,
  DuplicateKeyValue: 11001,
  FailedToParse: 9,
  UnknownError: 8,
  ConflictingUpdateOperators: 40,
  InvalidIdField: 53,
  BSONObjectTooLarge: 10334,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

const namesByCode = new Map<number, string>(Object.entries(ErrorCodes).map(([k, v]) => [v, k]));

/** A command failure that becomes `{ok: 0, errmsg, code, codeName}` on the wire. */
export class MongoServerError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Record<string, unknown> | undefined;

  constructor(codeName: ErrorCodeName, errmsg: string, extra?: Record<string, unknown>) {
    super(errmsg);
    this.code = ErrorCodes[codeName];
    this.codeName = codeName === 'Location51003' ? 'Location51003' : codeName;
    this.extra = extra;
  }

  /** The reply document for this error. */
  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

/** Convert any thrown value into a reply (unexpected errors become InternalError). */
export function errorReply(err: unknown): Record<string, unknown> {
  if (err instanceof MongoServerError) return err.toReply();
  const message = err instanceof Error ? err.message : String(err);
  return { ok: 0, errmsg: message, code: ErrorCodes.InternalError, codeName: 'InternalError' };
}

export function codeNameOf(code: number): string {
  return namesByCode.get(code) ?? 'UnknownError';
}

/** `E11000 duplicate key error collection: db.coll index: name dup key: { k: v }` as mongod words it. */
export function duplicateKeyError(ns: string, indexName: string, keyPattern: Record<string, unknown>, keyValue: Record<string, unknown>, keyText: string): MongoServerError {
  return new MongoServerError('DuplicateKey', `E11000 duplicate key error collection: ${ns} index: ${indexName} dup key: ${keyText}`, {
    keyPattern,
    keyValue,
  });
}
