/**
 * Users in `admin.system.users`, in MongoDB's credential document format,
 * so a mongodump/mongorestore of the admin database round-trips them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Binary, ObjectId, type Document } from 'bson';
import { deriveCredential, type ScramCredential, type ScramMechanism } from './scram';

export const USERS_NS = 'admin.system.users';
export const VERSION_NS = 'admin.system.version';

export function userId(db: string, user: string): string {
  return `${db}.${user}`;
}

/** A user document as `createUser` stores it. */
export function userDocument(db: string, user: string, password: string, roles: Document[], mechanisms: readonly ScramMechanism[] = ['SCRAM-SHA-1', 'SCRAM-SHA-256']): Document {
  const credentials: Record<string, ScramCredential> = {};
  for (const m of mechanisms) credentials[m] = deriveCredential(m, user, password);
  return {
    _id: userId(db, user),
    userId: new Binary(Buffer.from(randomUUID().replace(/-/g, ''), 'hex'), Binary.SUBTYPE_UUID),
    user,
    db,
    credentials,
    roles,
  };
}

export function credentialOf(userDoc: Document, mechanism: ScramMechanism): ScramCredential | undefined {
  const c = (userDoc.credentials as Document | undefined)?.[mechanism] as Document | undefined;
  if (!c) return undefined;
  return { iterationCount: Number(c.iterationCount), salt: String(c.salt), storedKey: String(c.storedKey), serverKey: String(c.serverKey) };
}

export function mechanismsOf(userDoc: Document): ScramMechanism[] {
  return Object.keys((userDoc.credentials as Document | undefined) ?? {}).filter((m): m is ScramMechanism => m === 'SCRAM-SHA-1' || m === 'SCRAM-SHA-256');
}

export const ROOT_ROLES: Document[] = [{ role: 'root', db: 'admin' }];

/**
 * Roles Juju 1.25 gives `admin` and the state servers' `machine-N` users
 * (mongo.SetAdminMongoPassword: dbAdminAny, userAdminAny, clusterAdmin,
 * readWriteAny), as 2.4 stores them: a list of role names.
 */
export const JUJU_ADMIN_ROLES: readonly string[] = ['dbAdminAnyDatabase', 'userAdminAnyDatabase', 'clusterAdmin', 'readWriteAnyDatabase'];

/** MongoDB 2.4's password digest: md5 hex of `user:mongo:password` (the `pwd` field, MONGODB-CR's secret). */
export function legacyPasswordDigest(user: string, password: string): string {
  return createHash('md5').update(`${user}:mongo:${password}`).digest('hex');
}

/** A 2.4 user document (`<db>.system.users`), as mgo's UpsertUser writes it on 2.4. */
export function legacyUserDocument(user: string, password: string, roles: readonly string[]): Document {
  return { _id: new ObjectId(), user, pwd: legacyPasswordDigest(user, password), roles: [...roles] };
}
