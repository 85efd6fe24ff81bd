import { deserialize, type Document } from 'bson';
import {
  JujuDbServerError,
  type CollectionInfo,
  type DatabaseInfo,
  type FindOptions,
  type IndexSpec,
  type InsertOptions,
  type JujuDbClient,
  type JujuDbCursor,
  type JujuDbServerInfo,
  type Namespace,
  type OperationOptions,
  type ReadOptions,
  type RemoveOptions,
  type UpdateOptions,
  type UpdateResult,
  type WriteConcern,
} from '../juju-db-client';
import { checkReplyFlags, decodeOptions, runCommand } from './command';
import type { LegacyConnection, RequestOptions } from './connection';
import { firstNumberToReturn, LegacyCursor } from './cursor';
import type { ConnectionPool } from './pool';
import * as wire from './wire';

/**
 * `JujuDbClient` over the legacy wire protocol. Reads are OP_QUERY cursors;
 * writes are OP_INSERT/OP_UPDATE/OP_DELETE each followed, on the same
 * connection, by `getLastError` (2.4 has no write commands); listing
 * collections, indexes and the replica-set config reads the system
 * collections on servers older than 3.0 (wire version 3), which lack the
 * commands.
 */

export interface LegacyClientSettings {
  readonly server: JujuDbServerInfo;
  readonly operationTimeoutMs: number;
  /** isMaster.maxMessageSizeBytes. */
  readonly maxMessageSizeBytes: number;
}

const MAX_DOCS_PER_INSERT = 1000;
const ns = (n: Namespace): string => `${n.db}.${n.collection}`;

/** The index name the shell and drivers derive from a key: `a_1_b_-1`. */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([field, order]) => `${field}_${String(order)}`)
    .join('_');
}

/** Throws for a write error or a write concern `getLastError` reports. */
export function checkGetLastError(gle: Document): void {
  const code = typeof gle['code'] === 'number' ? gle['code'] : 0;
  const codeName = typeof gle['codeName'] === 'string' ? gle['codeName'] : undefined;
  if (gle['wtimeout'] === true) throw new JujuDbServerError(`waiting for the write concern timed out (${String(gle['err'] ?? 'timeout')})`, code || 64, gle, codeName ?? 'WriteConcernFailed');
  if (gle['err'] != null) throw new JujuDbServerError(String(gle['err']), code, gle, codeName);
  for (const note of ['wnote', 'jnote'] as const) {
    if (typeof gle[note] === 'string') throw new JujuDbServerError(`write concern failed: ${gle[note]}`, code || 100, gle, codeName ?? 'WriteConcernFailed');
  }
}

function getLastErrorCommand(writeConcern: WriteConcern | undefined): Document {
  const { w = 1, j, wtimeout } = writeConcern ?? {};
  return { getLastError: 1, w, ...(j !== undefined ? { j } : {}), ...(wtimeout !== undefined ? { wtimeout } : {}) };
}

/** Splits serialized documents into OP_INSERT batches under the message size limit. */
export function insertBatches(documents: readonly Buffer[], namespace: string, maxMessageSizeBytes: number): Buffer[][] {
  const overhead = wire.HEADER_SIZE + 4 + Buffer.byteLength(namespace) + 1;
  const batches: Buffer[][] = [];
  let batch: Buffer[] = [];
  let size = overhead;
  for (const doc of documents) {
    if (batch.length > 0 && (size + doc.length > maxMessageSizeBytes || batch.length >= MAX_DOCS_PER_INSERT)) {
      batches.push(batch);
      batch = [];
      size = overhead;
    }
    batch.push(doc);
    size += doc.length;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

export class LegacyJujuDbClient implements JujuDbClient {
  readonly server: JujuDbServerInfo;

  constructor(
    private readonly pool: ConnectionPool,
    private readonly settings: LegacyClientSettings,
  ) {
    this.server = settings.server;
  }

  command(db: string, command: Document, options?: ReadOptions): Promise<Document> {
    const request = this.request(options);
    return this.pool.use(request, (c) => runCommand(c, db, command, { ...request, secondaryOk: options?.secondaryOk, keepLongs: options?.keepLongs ?? true }));
  }

  find(namespace: Namespace, filter: Document = {}, options: FindOptions = {}): JujuDbCursor<Document> {
    const promote = decodeOptions(options.keepLongs ?? true);
    return this.cursor(namespace, filter, options, (raw) => deserialize(raw, promote));
  }

  findRaw(namespace: Namespace, filter: Document = {}, options: FindOptions = {}): JujuDbCursor<Buffer> {
    return this.cursor(namespace, filter, options, (raw) => raw);
  }

  async findOne(namespace: Namespace, filter: Document = {}, options: FindOptions = {}): Promise<Document | null> {
    const cursor = this.find(namespace, filter, { ...options, limit: 1 });
    try {
      return await cursor.next();
    } finally {
      await cursor.close();
    }
  }

  async insert(namespace: Namespace, documents: readonly Document[], options: InsertOptions = {}): Promise<number> {
    if (documents.length === 0) return 0;
    const fullName = ns(namespace);
    const flags = options.ordered === false ? wire.INSERT_CONTINUE_ON_ERROR : 0;
    const batches = insertBatches(documents.map(wire.bson), fullName, this.settings.maxMessageSizeBytes);
    const request = this.request(options);
    await this.pool.use(request, async (connection) => {
      let firstError: unknown;
      for (const batch of batches) {
        try {
          await this.acknowledged(connection, namespace.db, wire.encodeInsert(wire.newRequestId(), fullName, batch, flags), options.writeConcern, request);
        } catch (error) {
          if (options.ordered !== false || !(error instanceof JujuDbServerError)) throw error;
          firstError ??= error;
        }
      }
      if (firstError) throw firstError;
    });
    // 2.4's getLastError says n: 0 for inserts; every document went in if none failed.
    return documents.length;
  }

  async update(namespace: Namespace, filter: Document, update: Document, options: UpdateOptions = {}): Promise<UpdateResult> {
    const flags = (options.upsert ? wire.UPDATE_UPSERT : 0) | (options.multi ? wire.UPDATE_MULTI : 0);
    const message = wire.encodeUpdate(wire.newRequestId(), ns(namespace), filter, update, flags);
    const request = this.request(options);
    const gle = await this.pool.use(request, (c) => this.acknowledged(c, namespace.db, message, options.writeConcern, request));
    if (!gle) return { matched: 0 };
    const n = Number(gle['n'] ?? 0);
    const upserted: unknown = gle['upserted'];
    // An upsert that inserted matched nothing (as the driver's matchedCount says).
    return upserted !== undefined && gle['updatedExisting'] !== true ? { matched: 0, upsertedId: upserted } : { matched: n };
  }

  async remove(namespace: Namespace, filter: Document, options: RemoveOptions = {}): Promise<number> {
    const message = wire.encodeDelete(wire.newRequestId(), ns(namespace), filter, options.justOne ? wire.DELETE_SINGLE_REMOVE : 0);
    const request = this.request(options);
    const gle = await this.pool.use(request, (c) => this.acknowledged(c, namespace.db, message, options.writeConcern, request));
    return gle ? Number(gle['n'] ?? 0) : 0;
  }

  async listDatabases(options?: OperationOptions): Promise<DatabaseInfo[]> {
    const reply = await this.command('admin', { listDatabases: 1 }, { ...options, keepLongs: false });
    const databases = Array.isArray(reply['databases']) ? (reply['databases'] as Document[]) : [];
    return databases.map((d) => ({ name: String(d['name']), sizeOnDisk: Number(d['sizeOnDisk'] ?? 0), empty: d['empty'] === true }));
  }

  async listCollections(db: string, options?: OperationOptions): Promise<CollectionInfo[]> {
    if (this.server.maxWireVersion < 3) {
      const entries = await this.find({ db, collection: 'system.namespaces' }, {}, options).toArray();
      return entries
        .map((e) => ({ name: String(e['name']), options: (e['options'] as Document | undefined) ?? {} }))
        .filter((e) => e.name.startsWith(`${db}.`) && !e.name.includes('$'))
        .map((e) => ({ name: e.name.slice(db.length + 1), options: e.options }));
    }
    const entries = await this.commandCursor(db, { listCollections: 1, cursor: {} }, options);
    return entries.map((e) => ({ name: String(e['name']), options: (e['options'] as Document | undefined) ?? {} }));
  }

  async listIndexes(namespace: Namespace, options?: OperationOptions): Promise<Document[]> {
    if (this.server.maxWireVersion < 3) return this.find({ db: namespace.db, collection: 'system.indexes' }, { ns: ns(namespace) }, options).toArray();
    try {
      return await this.commandCursor(namespace.db, { listIndexes: namespace.collection, cursor: {} }, options);
    } catch (error) {
      // 3.0+ refuses a missing collection (NamespaceNotFound); 2.4 lists nothing: keep 2.4's answer.
      if (error instanceof JujuDbServerError && error.code === 26) return [];
      throw error;
    }
  }

  async createIndex(namespace: Namespace, key: Document, spec: IndexSpec = {}, options?: OperationOptions): Promise<void> {
    const index: Document = { key, name: spec.name ?? defaultIndexName(key) };
    for (const flag of ['unique', 'sparse', 'background'] as const) if (spec[flag] !== undefined) index[flag] = spec[flag];
    if (this.server.maxWireVersion >= 2) {
      await this.command(namespace.db, { createIndexes: namespace.collection, indexes: [index] }, options);
      return;
    }
    await this.insert({ db: namespace.db, collection: 'system.indexes' }, [{ ...index, ns: ns(namespace) }], options);
  }

  async createCollection(namespace: Namespace, collectionOptions: Document = {}, options?: OperationOptions): Promise<void> {
    try {
      await this.command(namespace.db, { create: namespace.collection, ...collectionOptions }, options);
    } catch (error) {
      if (error instanceof JujuDbServerError && (error.code === 48 || /already exists/i.test(error.message))) return;
      throw error;
    }
  }

  async replSetGetConfig(options?: ReadOptions): Promise<Document> {
    if (this.server.maxWireVersion >= 3) {
      const reply = await this.command('admin', { replSetGetConfig: 1 }, options);
      return reply['config'] as Document;
    }
    const config = await this.findOne({ db: 'local', collection: 'system.replset' }, {}, options);
    if (!config) throw new JujuDbServerError('no replica-set configuration in local.system.replset (not running with --replSet?)', 76, {}, 'NoReplicationEnabled');
    return config;
  }

  async close(): Promise<void> {
    this.pool.close();
  }

  private request(options?: OperationOptions): RequestOptions {
    return { timeoutMs: options?.timeoutMs ?? this.settings.operationTimeoutMs, signal: options?.signal };
  }

  private cursor<T>(namespace: Namespace, filter: Document, options: FindOptions, decode: (raw: Buffer) => T): JujuDbCursor<T> {
    const fullName = ns(namespace);
    const sizing = { limit: Math.max(0, options.limit ?? 0), batchSize: Math.max(0, options.batchSize ?? 0) };
    const request = this.request(options);
    const first = (connection: LegacyConnection): Promise<wire.Reply> => {
      const requestId = wire.newRequestId();
      const message = wire.encodeQuery(requestId, {
        flags: options.secondaryOk === false ? 0 : wire.QUERY_SLAVE_OK,
        namespace: fullName,
        skip: options.skip ?? 0,
        numberToReturn: firstNumberToReturn(sizing),
        query: wrapQuery(filter, options),
        projection: options.projection,
      });
      return connection.request(message, requestId, request);
    };
    return new LegacyCursor(this.pool, fullName, sizing, request, first, decode);
  }

  /** Sends a write, then (unless w: 0) getLastError on the same connection; returns its reply. */
  private async acknowledged(connection: LegacyConnection, db: string, message: wire.Message, writeConcern: WriteConcern | undefined, request: RequestOptions): Promise<Document | undefined> {
    if (writeConcern?.w === 0) {
      connection.send(message);
      return undefined;
    }
    connection.send(message);
    const gle = await runCommand(connection, db, getLastErrorCommand(writeConcern), { ...request, secondaryOk: false });
    checkGetLastError(gle);
    return gle;
  }

  /** A command's cursor (3.0+ listCollections/listIndexes): firstBatch, then OP_GET_MORE on cursor.ns. */
  private async commandCursor(db: string, command: Document, options?: OperationOptions): Promise<Document[]> {
    const request = this.request(options);
    return this.pool.use(request, async (connection) => {
      // keepLongs: a cursor id is a random int64 that a JS number would round.
      const reply = await runCommand(connection, db, command, { ...request, keepLongs: true });
      const cursor = (reply['cursor'] ?? {}) as Document;
      const out = [...((cursor['firstBatch'] as Document[] | undefined) ?? [])];
      let id = BigInt(String(cursor['id'] ?? 0));
      const namespace = typeof cursor['ns'] === 'string' ? cursor['ns'] : `${db}.$cmd`;
      while (id !== 0n) {
        const requestId = wire.newRequestId();
        const more = await connection.request(wire.encodeGetMore(requestId, namespace, 0, id), requestId, request);
        checkReplyFlags(more, 'getMore');
        out.push(...more.documents.map((raw) => deserialize(raw, decodeOptions(true))));
        id = more.cursorId;
      }
      return out;
    });
  }
}

/** The OP_QUERY document: the filter alone, or wrapped with `$orderby`/`$snapshot` when asked for. */
export function wrapQuery(filter: Document, options: Pick<FindOptions, 'sort' | 'snapshot'>): Document {
  if (!options.sort && !options.snapshot) return filter;
  return { $query: filter, ...(options.sort ? { $orderby: options.sort } : {}), ...(options.snapshot ? { $snapshot: true } : {}) };
}
