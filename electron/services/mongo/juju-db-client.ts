import type { Document } from 'bson';

/**
 * The one interface Quorum uses to talk to juju-db, whatever MongoDB runs
 * there. Two implementations sit behind it, chosen from the handshake
 * (`connectJujuDb`):
 *
 * - `legacy/`: a narrow legacy wire-protocol client of our own on `bson`
 *   (OP_QUERY commands and queries, OP_GET_MORE, OP_KILL_CURSORS,
 *   OP_INSERT/OP_UPDATE/OP_DELETE + `getLastError`, MONGODB-CR or
 *   SCRAM-SHA-1) for the servers the official driver refuses: MongoDB 2.4
 *   (what Juju 1.25 runs) up to 4.2;
 * - `driver-client.ts`: the official driver for MongoDB 4.4 and later.
 *
 * Callers never see which one they have: there is no `listCollections`,
 * write command or `replSetGetConfig` to call directly, only the operations
 * below, each of which the implementation maps to what its server has
 * (`system.namespaces`, `system.indexes`, `local.system.replset` on 2.4).
 *
 * Errors: server answers with `ok: 0` (and write errors reported by
 * `getLastError`) are thrown as `JujuDbServerError`; a dead or silent
 * connection as `JujuDbNetworkError` / `JujuDbTimeoutError`; a server too
 * old to speak to as `JujuDbUnsupportedServerError`. The driver
 * implementation may also throw the driver's own errors; `mongo-errors.ts`
 * translates both into operator-facing `QuorumError`s.
 */

/** What the handshake found out about the server. */
export interface JujuDbServerInfo {
  /** `buildInfo.version`, e.g. `2.4.9` or `6.0.19`. */
  readonly version: string;
  /** `isMaster.maxWireVersion`; 0 when absent (MongoDB 2.4 and older). */
  readonly maxWireVersion: number;
  /** Which implementation talks to it. */
  readonly protocol: 'legacy' | 'driver';
  /** Authentication mechanism used: `MONGODB-CR`, `SCRAM-SHA-1` or `SCRAM-SHA-256`. */
  readonly authMechanism: string;
}

/** Namespace of a collection. */
export interface Namespace {
  readonly db: string;
  readonly collection: string;
}

/** Acknowledgement asked of a write (`getLastError` on 2.4, `writeConcern` later). */
export interface WriteConcern {
  /** Number of members, or `majority`. Default 1. */
  readonly w?: number | 'majority';
  /** Wait for the journal. */
  readonly j?: boolean;
  /** Give up waiting for `w` after this many ms (0: wait for ever). */
  readonly wtimeout?: number;
}

export interface OperationOptions {
  /** Cancels the operation: the request is abandoned and its connection closed. */
  readonly signal?: AbortSignal;
  /** Fails with `JujuDbTimeoutError` (and cancels) when no reply comes in this many ms. Default: the client's. */
  readonly timeoutMs?: number;
}

export interface ReadOptions extends OperationOptions {
  /** Allow a secondary to answer (primaryPreferred / slaveOk): juju-db is always reached directly. Default true. */
  readonly secondaryOk?: boolean;
  /** Keep 64-bit integers as `Long` (default: `true` keeps Quorum's parsing exact, like `promoteLongs: false`). */
  readonly keepLongs?: boolean;
}

export interface FindOptions extends ReadOptions {
  readonly projection?: Document;
  /** Sort specification; `{ $natural: 1 | -1 }` reads in insertion order (the oplog). */
  readonly sort?: Document;
  readonly skip?: number;
  /** At most this many documents (0: no limit). */
  readonly limit?: number;
  /** Documents per batch (hint to the server). */
  readonly batchSize?: number;
  /**
   * Read with `$snapshot`, as mongodump 2.4 reads every collection: on
   * MMAPv1 a document that grows and moves during the read is then returned
   * once rather than missed or twice. Cannot be combined with `sort`. The
   * driver implementation ignores it (WiredTiger cursors do not skip moved
   * documents, and modern mongodump does not ask for it).
   */
  readonly snapshot?: boolean;
}

/** A server-side cursor. Closing it (or breaking out of `for await`) kills it on the server. */
export interface JujuDbCursor<T> extends AsyncIterable<T> {
  /** The next document, or null when the cursor is exhausted. */
  next(): Promise<T | null>;
  /** Every remaining document. */
  toArray(): Promise<T[]>;
  /** Stops the cursor and frees it on the server; safe to call twice. */
  close(): Promise<void>;
}

export interface InsertOptions extends OperationOptions {
  /** Stop at the first failing document (default true); false continues on error. */
  readonly ordered?: boolean;
  readonly writeConcern?: WriteConcern;
}

export interface UpdateOptions extends OperationOptions {
  readonly upsert?: boolean;
  /** Update every matching document (default: the first only). */
  readonly multi?: boolean;
  readonly writeConcern?: WriteConcern;
}

export interface RemoveOptions extends OperationOptions {
  /** Remove only the first matching document (default: all that match). */
  readonly justOne?: boolean;
  readonly writeConcern?: WriteConcern;
}

export interface UpdateResult {
  /** Existing documents matched (on 2.4: `getLastError.n` when `updatedExisting`); 0 when an upsert inserted. */
  readonly matched: number;
  /** `_id` of the inserted document when an upsert inserted one. */
  readonly upsertedId?: unknown;
}

export interface DatabaseInfo {
  readonly name: string;
  readonly sizeOnDisk: number;
  readonly empty: boolean;
}

export interface CollectionInfo {
  /** Collection name without the database, e.g. `machines`, `system.users`. */
  readonly name: string;
  /** Creation options (`capped`, `size`, …); `{}` when none. */
  readonly options: Document;
  /** The collection's UUID in hex, on servers that have one (3.6+); mongodump writes it to metadata.json. */
  readonly uuid?: string;
}

export interface IndexSpec {
  readonly name?: string;
  readonly unique?: boolean;
  readonly sparse?: boolean;
  readonly background?: boolean;
}

export interface JujuDbClient {
  readonly server: JujuDbServerInfo;

  /** Runs a command on `db` and returns its reply; `ok: 0` throws `JujuDbServerError`. */
  command(db: string, command: Document, options?: ReadOptions): Promise<Document>;

  find(ns: Namespace, filter?: Document, options?: FindOptions): JujuDbCursor<Document>;
  /** As `find`, but each document is the raw BSON the server sent (no decoding, no copy). */
  findRaw(ns: Namespace, filter?: Document, options?: FindOptions): JujuDbCursor<Buffer>;
  findOne(ns: Namespace, filter?: Document, options?: FindOptions): Promise<Document | null>;

  /** Inserts documents (on 2.4: OP_INSERT then `getLastError`); returns how many were inserted. */
  insert(ns: Namespace, documents: readonly Document[], options?: InsertOptions): Promise<number>;
  update(ns: Namespace, filter: Document, update: Document, options?: UpdateOptions): Promise<UpdateResult>;
  /** Removes matching documents; returns how many were removed. */
  remove(ns: Namespace, filter: Document, options?: RemoveOptions): Promise<number>;

  listDatabases(options?: OperationOptions): Promise<DatabaseInfo[]>;
  /** Every collection of `db`, `system.*` ones included (on 2.4: from `system.namespaces`). */
  listCollections(db: string, options?: OperationOptions): Promise<CollectionInfo[]>;
  /** Index documents (`v`, `key`, `name`, `ns`, …) of a collection (on 2.4: from `system.indexes`). */
  listIndexes(ns: Namespace, options?: OperationOptions): Promise<Document[]>;
  /** Creates an index unless it exists (on 2.4: an insert into `system.indexes`). */
  createIndex(ns: Namespace, key: Document, spec?: IndexSpec, options?: OperationOptions): Promise<void>;
  /** Creates a collection; an existing one is not an error. */
  createCollection(ns: Namespace, collectionOptions?: Document, options?: OperationOptions): Promise<void>;

  /** The replica-set configuration document (on 2.4: `local.system.replset`, as `replSetGetConfig` does not exist). */
  replSetGetConfig(options?: ReadOptions): Promise<Document>;

  /** Closes every connection; in-flight operations fail with `JujuDbNetworkError`. */
  close(): Promise<void>;
}

/** A server answer with `ok: 0`, or a write error `getLastError` reported. */
export class JujuDbServerError extends Error {
  override readonly name = 'JujuDbServerError';
  /** MongoDB error code (0 when the server sent none, as 2.4 often does). */
  readonly code: number;
  readonly codeName: string | undefined;
  /** The whole reply, for callers that need more (e.g. `writeConcernError`). */
  readonly reply: Document;

  constructor(message: string, code: number, reply: Document, codeName?: string) {
    super(message);
    this.code = code;
    this.codeName = codeName;
    this.reply = reply;
  }
}

/** The connection failed or closed (socket error, TLS failure, server closed it). */
export class JujuDbNetworkError extends Error {
  override readonly name = 'JujuDbNetworkError';
}

/** No reply within the operation's time; the operation was cancelled and its connection closed. */
export class JujuDbTimeoutError extends Error {
  override readonly name = 'JujuDbTimeoutError';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
  }
}

/** The server runs a MongoDB Quorum cannot speak to. */
export class JujuDbUnsupportedServerError extends Error {
  override readonly name = 'JujuDbUnsupportedServerError';
  constructor(
    message: string,
    /** The version found (`buildInfo.version`, or `wire version N` when unknown). */
    readonly found: string,
  ) {
    super(message);
  }
}

/** MongoDB versions Quorum speaks to, for messages. */
export const SUPPORTED_MONGO_VERSIONS = 'MongoDB 2.4 (Juju 1.25\'s juju-mongodb) to 2.6–4.2 through its own legacy-protocol client, and 4.4 or later through the official driver';

/** Wire version from which the official driver (7.9) is used. */
export const DRIVER_MIN_WIRE_VERSION = 9;

/** How to reach one juju-db member (through the SSH tunnel's local port) and who to be. */
export interface JujuDbConnectOptions {
  /** Default 127.0.0.1 (the tunnel's listener). */
  readonly host?: string;
  readonly port: number;
  /** `machine-N` (statepassword) or `admin` (oldpassword). */
  readonly user: string;
  readonly password: string;
  /** Database the user lives in; Juju's are in `admin`. */
  readonly authSource?: string;
  /** Environment CA certificate (PEM); the server's chain must lead to it. */
  readonly caPem: string;
  /** TLS server name (SNI) Juju dials with: `juju-mongodb`. */
  readonly servername?: string;
  /** Time to open a connection (TCP + TLS + handshake). Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** Default time an operation may wait for its reply. Default 30 s. */
  readonly operationTimeoutMs?: number;
  /** Connections kept open at most. Default 4. */
  readonly maxPoolSize?: number;
  /** Sent in the handshake's `client.application.name` (servers that read it: 3.4+). */
  readonly appName?: string;
}
