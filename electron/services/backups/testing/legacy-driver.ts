import { createRequire } from 'node:module';
import net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { checkJujuDbIdentity, isWeaklySignedCa } from '../../mongo/tls-options';
import type { StateServerSession } from '../../connection/state-server-session';

/**
 * The npm `mongodb@2.2` driver (dev dependency `mongodb-2.2`), a 2.4-era
 * client independent of Quorum's, connected to a sandbox machine's juju-db
 * through the session's SSH connection with TLS (environment CA) and
 * MONGODB-CR as the machine agent, as Juju 1.25's own mgo would be. Only the
 * parts the backup tests use are typed: GridFS, to check that files Quorum
 * writes on MongoDB 2.4 are read by another GridFS implementation of that
 * era and the other way round; commands and finds for the compatibility
 * tests of Quorum's juju-db layer.
 */

interface LegacyGridFSBucket {
  openDownloadStreamByName(filename: string): Readable;
  openUploadStream(filename: string, options?: { chunkSizeBytes?: number }): Writable & { id: unknown };
}

interface LegacyDb {
  db(name: string): LegacyDb;
  command(command: Record<string, unknown>): Promise<Record<string, unknown>>;
  collection(name: string): { find(filter: Record<string, unknown>): { toArray(): Promise<Record<string, unknown>[]> } };
}

interface LegacyMongoClient {
  connect(url: string, options: Record<string, unknown>): Promise<LegacyDb & { close(force?: boolean): Promise<void> }>;
}

interface LegacyModule {
  MongoClient: LegacyMongoClient;
  GridFSBucket: new (db: LegacyDb, options: { bucketName: string; chunkSizeBytes?: number }) => LegacyGridFSBucket;
}

export interface LegacyDriver {
  bucket(db: string, bucketName: string): LegacyGridFSBucket;
  command(db: string, command: Record<string, unknown>): Promise<Record<string, unknown>>;
  find(db: string, collection: string, filter?: Record<string, unknown>): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function connectLegacyDriver(session: StateServerSession, caPem: string): Promise<LegacyDriver> {
  const legacy = createRequire(import.meta.url)('mongodb-2.2') as LegacyModule;
  const sockets = new Set<net.Socket>();
  // A local listener whose every connection is a direct-tcpip channel to the machine's juju-db, as Quorum's tunnel.
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    session.forwardOut('127.0.0.1', 37017).then(
      (channel) => {
        socket.pipe(channel).pipe(socket);
        socket.on('error', () => channel.destroy());
        channel.on('error', () => socket.destroy());
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const { user, password } = await session.withAdminCredentials(async (c, info) => ({ user: info.tag, password: c.statepassword }));
  const url = `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/admin?authMechanism=MONGODB-CR&ssl=true`;
  let client: Awaited<ReturnType<LegacyMongoClient['connect']>>;
  try {
    // As any client of a Juju whose CA is signed with SHA-1 must: OpenSSL's security level lowered for this chain only.
    const weak = isWeaklySignedCa(caPem) ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {};
    client = await legacy.MongoClient.connect(url, { sslValidate: true, sslCA: [Buffer.from(caPem)], checkServerIdentity: checkJujuDbIdentity, poolSize: 2, ...weak });
  } catch (error) {
    server.close();
    throw error;
  }
  return {
    bucket: (db, bucketName) => new legacy.GridFSBucket(client.db(db), { bucketName }),
    command: (db, command) => client.db(db).command(command),
    find: (db, collection, filter = {}) => client.db(db).collection(collection).find(filter).toArray(),
    close: async () => {
      await client.close(true).catch(() => undefined);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
