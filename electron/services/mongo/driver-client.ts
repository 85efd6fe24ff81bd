import type { Document } from 'bson';
import { MongoClient, MongoServerError, ReadPreference, type AbstractCursor, type Collection } from 'mongodb';
import {
  JujuDbNetworkError,
  JujuDbServerError,
  JujuDbTimeoutError,
  type CollectionInfo,
  type DatabaseInfo,
  type FindOptions,
  type IndexSpec,
  type InsertOptions,
  type JujuDbClient,
  type JujuDbConnectOptions,
  type JujuDbCursor,
  type JujuDbServerInfo,
  type Namespace,
  type OperationOptions,
  type ReadOptions,
  type RemoveOptions,
  type UpdateOptions,
  type UpdateResult,
  type WriteConcern,
} from './juju-db-client';
import { jujuDbTlsOptions } from './tls-options';

/**
 * `JujuDbClient` over the official driver, for juju-db on MongoDB 4.4 and
 * later (what the driver 7.9 accepts). `directConnection`: through a tunnel
 * only this member is reachable; with `replicaSet=` the driver would switch
 * to the addresses the set reports. SCRAM as negotiated by the driver.
 * Driver errors become the interface's errors (the original as `cause`), so
 * callers handle one set whichever implementation they got.
 */

const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;

function readPreference(options: ReadOptions | undefined): ReadPreference {
  return options?.secondaryOk === false ? ReadPreference.primary : ReadPreference.primaryPreferred;
}

function abortable(options: OperationOptions | undefined): { signal?: AbortSignal; timeoutMS?: number } {
  return {
    ...(options?.signal ? { signal: options.signal } : {}),
    ...(options?.timeoutMs !== undefined ? { timeoutMS: options.timeoutMs } : {}),
  };
}

function writeConcern(wc: WriteConcern | undefined): { writeConcern?: { w?: number | 'majority'; journal?: boolean; wtimeoutMS?: number } } {
  if (!wc) return {};
  return { writeConcern: { ...(wc.w !== undefined ? { w: wc.w } : {}), ...(wc.j !== undefined ? { journal: wc.j } : {}), ...(wc.wtimeout ? { wtimeoutMS: wc.wtimeout } : {}) } };
}

/** The interface's error for a driver error (the driver's own as `cause`). */
export function fromDriverError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'AbortError' || error instanceof JujuDbServerError) return error;
  if (error instanceof MongoServerError) {
    const code = typeof error.code === 'number' ? error.code : 0;
    const wrapped = new JujuDbServerError(error.message, code, (error.errorResponse ?? {}) as Document, error.codeName);
    (wrapped as { cause?: unknown }).cause = error;
    return wrapped;
  }
  if (error.name === 'MongoOperationTimeoutError') {
    const wrapped = new JujuDbTimeoutError(error.message, 0);
    (wrapped as { cause?: unknown }).cause = error;
    return wrapped;
  }
  if (/MongoNetwork|MongoServerSelection|MongoTopologyClosed|MongoNotConnected|PoolClosed|PoolCleared/.test(error.name)) {
    const wrapped = new JujuDbNetworkError(error.message);
    (wrapped as { cause?: unknown }).cause = error;
    return wrapped;
  }
  return error;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw fromDriverError(error);
  }
}

class DriverCursor<T> implements JujuDbCursor<T> {
  constructor(readonly cursor: AbstractCursor<T>) {}

  next(): Promise<T | null> {
    return call(() => this.cursor.next());
  }
  toArray(): Promise<T[]> {
    return call(() => this.cursor.toArray());
  }
  close(): Promise<void> {
    return this.cursor.close().catch(() => undefined);
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        const doc = await this.next();
        if (doc === null) return;
        yield doc;
      }
    } finally {
      await this.close();
    }
  }
}

class DriverJujuDb implements JujuDbClient {
  constructor(
    readonly client: MongoClient,
    readonly server: JujuDbServerInfo,
  ) {}

  #coll(ns: Namespace): Collection<Document> {
    return this.client.db(ns.db).collection(ns.collection);
  }

  command(db: string, command: Document, options?: ReadOptions): Promise<Document> {
    return call(() => this.client.db(db).command(command, { readPreference: readPreference(options), promoteLongs: options?.keepLongs === false, ...abortable(options) }));
  }

  #findOptions(options: FindOptions | undefined): Document {
    return {
      readPreference: readPreference(options),
      promoteLongs: options?.keepLongs === false,
      ...(options?.projection ? { projection: options.projection } : {}),
      ...(options?.sort ? { sort: options.sort } : {}),
      ...(options?.skip ? { skip: options.skip } : {}),
      ...(options?.limit ? { limit: options.limit } : {}),
      ...(options?.batchSize ? { batchSize: options.batchSize } : {}),
      ...abortable(options),
    };
  }

  find(ns: Namespace, filter: Document = {}, options?: FindOptions): JujuDbCursor<Document> {
    return new DriverCursor(this.#coll(ns).find(filter, this.#findOptions(options)));
  }

  findRaw(ns: Namespace, filter: Document = {}, options?: FindOptions): JujuDbCursor<Buffer> {
    const cursor = this.#coll(ns).find(filter, { ...this.#findOptions(options), raw: true });
    return new DriverCursor(cursor as unknown as AbstractCursor<Buffer>);
  }

  async findOne(ns: Namespace, filter: Document = {}, options?: FindOptions): Promise<Document | null> {
    const cursor = this.find(ns, filter, { ...options, limit: 1 });
    try {
      return await cursor.next();
    } finally {
      await cursor.close();
    }
  }

  async insert(ns: Namespace, documents: readonly Document[], options?: InsertOptions): Promise<number> {
    if (documents.length === 0) return 0;
    const result = await call(() => this.#coll(ns).insertMany(documents as Document[], { ordered: options?.ordered ?? true, ...writeConcern(options?.writeConcern), ...abortable(options) }));
    return result.insertedCount;
  }

  async update(ns: Namespace, filter: Document, update: Document, options?: UpdateOptions): Promise<UpdateResult> {
    const opts = { upsert: options?.upsert ?? false, ...writeConcern(options?.writeConcern), ...abortable(options) };
    const coll = this.#coll(ns);
    const operators = Object.keys(update).some((k) => k.startsWith('$'));
    const result = await call(() =>
      !operators ? coll.replaceOne(filter, update, opts) : options?.multi ? coll.updateMany(filter, update, opts) : coll.updateOne(filter, update, opts),
    );
    return { matched: result.matchedCount, ...(result.upsertedId !== null && result.upsertedId !== undefined ? { upsertedId: result.upsertedId } : {}) };
  }

  async remove(ns: Namespace, filter: Document, options?: RemoveOptions): Promise<number> {
    const opts = { ...writeConcern(options?.writeConcern), ...abortable(options) };
    const coll = this.#coll(ns);
    const result = await call(() => (options?.justOne ? coll.deleteOne(filter, opts) : coll.deleteMany(filter, opts)));
    return result.deletedCount;
  }

  async listDatabases(options?: OperationOptions): Promise<DatabaseInfo[]> {
    const reply = await this.command('admin', { listDatabases: 1 }, { ...options, secondaryOk: true });
    return ((reply.databases as Document[] | undefined) ?? []).map((d) => ({ name: String(d.name), sizeOnDisk: Number(d.sizeOnDisk ?? 0), empty: d.empty === true }));
  }

  async listCollections(db: string, options?: OperationOptions): Promise<CollectionInfo[]> {
    const infos = await call(() => this.client.db(db).listCollections({}, { nameOnly: false, readPreference: ReadPreference.primaryPreferred, ...abortable(options) }).toArray());
    const out: CollectionInfo[] = [];
    for (const c of infos as Document[]) {
      if (c.type === 'view') continue;
      const uuid = (c.info as Document | undefined)?.uuid as { buffer?: Uint8Array } | undefined;
      out.push({ name: String(c.name), options: (c.options as Document | undefined) ?? {}, ...(uuid?.buffer ? { uuid: Buffer.from(uuid.buffer).toString('hex') } : {}) });
    }
    return out;
  }

  async listIndexes(ns: Namespace, options?: OperationOptions): Promise<Document[]> {
    try {
      return await call(() => this.#coll(ns).listIndexes({ readPreference: ReadPreference.primaryPreferred, ...abortable(options) }).toArray());
    } catch (error) {
      if (error instanceof JujuDbServerError && error.code === NAMESPACE_NOT_FOUND) return [];
      throw error;
    }
  }

  async createIndex(ns: Namespace, key: Document, spec?: IndexSpec, options?: OperationOptions): Promise<void> {
    await call(() => this.#coll(ns).createIndex(key, { ...spec, ...abortable(options) }));
  }

  async createCollection(ns: Namespace, collectionOptions: Document = {}, options?: OperationOptions): Promise<void> {
    try {
      await this.command(ns.db, { create: ns.collection, ...collectionOptions }, { ...options, secondaryOk: false });
    } catch (error) {
      if (error instanceof JujuDbServerError && error.code === NAMESPACE_EXISTS) return;
      throw error;
    }
  }

  async replSetGetConfig(options?: ReadOptions): Promise<Document> {
    const reply = await this.command('admin', { replSetGetConfig: 1 }, options);
    return reply.config as Document;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Connects the official driver to one juju-db member and checks authentication now rather than on first use. */
export async function createDriverJujuDb(options: JujuDbConnectOptions, found: { version: string; maxWireVersion: number }): Promise<JujuDbClient> {
  const tls = jujuDbTlsOptions(options.caPem, options.servername);
  const timeout = options.connectTimeoutMs ?? 5_000;
  const client = new MongoClient(`mongodb://${options.host ?? '127.0.0.1'}:${options.port}/`, {
    directConnection: true,
    tls: true,
    ...tls,
    auth: { username: options.user, password: options.password },
    authSource: options.authSource ?? 'admin',
    appName: options.appName ?? 'quorum',
    maxPoolSize: options.maxPoolSize ?? 4,
    minPoolSize: 0,
    maxIdleTimeMS: 60_000,
    serverSelectionTimeoutMS: timeout,
    connectTimeoutMS: timeout,
    socketTimeoutMS: 0,
    heartbeatFrequencyMS: 5_000,
    retryWrites: false,
    monitorCommands: false,
  });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
  } catch (error) {
    await client.close(true).catch(() => undefined);
    throw fromDriverError(error);
  }
  // The driver negotiates SCRAM-SHA-256 where the user has it (4.0+), else SCRAM-SHA-1.
  const authMechanism = found.maxWireVersion >= 7 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-1';
  return new DriverJujuDb(client, { version: found.version, maxWireVersion: found.maxWireVersion, protocol: 'driver', authMechanism });
}
