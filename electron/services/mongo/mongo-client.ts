import type { SecretRegistry } from '../../../shared/redact';
import { createDriverJujuDb } from './driver-client';
import { DRIVER_MIN_WIRE_VERSION, JujuDbUnsupportedServerError, SUPPORTED_MONGO_VERSIONS, type JujuDbClient, type JujuDbConnectOptions } from './juju-db-client';
import { handshake, openLegacyJujuDb } from './legacy/index';
import { translateMongoError, type MongoErrorContext } from './mongo-errors';

/**
 * Opens Quorum's juju-db client on one member (through the SSH tunnel's
 * local port), choosing the implementation from the handshake, as a 2.4-era
 * driver would: an `isMaster` by OP_QUERY on `admin.$cmd`, which every
 * MongoDB answers, and `buildInfo`.
 *
 * - no `maxWireVersion` (MongoDB 2.4, what Juju 1.25 runs) up to wire 8
 *   (4.2): our legacy wire-protocol client, authenticating with MONGODB-CR
 *   (2.4/2.6) or SCRAM-SHA-1 (3.x–4.2), reusing the handshake's connection;
 * - wire 9 (4.4) and later: the official driver;
 * - older than 2.4: refused, saying which version was found.
 *
 * Failures come back as translated QuorumErrors (`mongo-auth-failed`
 * whichever mechanism was used, `tls-failed`, `mongo-unavailable`,
 * `mongo-unsupported`).
 */

/** `2.4.9` → [2, 4, 9]; missing parts are 0. */
export function parseMongoVersion(version: string): [number, number, number] {
  const [a = 0, b = 0, c = 0] = version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  return [a, b, c];
}

/** True when Quorum can speak to this server at all (2.4 or later). */
export function isSupportedMongoVersion(version: string): boolean {
  if (version === '') return true; // buildInfo refused: the handshake decides alone
  const [major, minor] = parseMongoVersion(version);
  return major > 2 || (major === 2 && minor >= 4);
}

export async function connectJujuDb(options: JujuDbConnectOptions, context: MongoErrorContext, secrets: SecretRegistry): Promise<JujuDbClient> {
  try {
    const found = await handshake(options);
    if (found.maxWireVersion >= DRIVER_MIN_WIRE_VERSION) {
      found.close();
      return await createDriverJujuDb(options, found);
    }
    if (!isSupportedMongoVersion(found.version)) {
      found.close();
      throw new JujuDbUnsupportedServerError(`juju-db runs MongoDB ${found.version}; Quorum supports ${SUPPORTED_MONGO_VERSIONS}.`, found.version);
    }
    return await openLegacyJujuDb(options, found);
  } catch (error) {
    throw translateMongoError(error, context, secrets);
  }
}
