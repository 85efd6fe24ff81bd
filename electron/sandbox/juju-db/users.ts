/**
 * Users in `admin.system.users`, in MongoDB's credential document format,
 * so a mongodump/mongorestore of the admin database round-trips them.
 */
import { randomUUID } from 'node:crypto';
import { Binary, type Document } from 'bson';
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
