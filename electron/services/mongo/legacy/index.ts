import type { JujuDbClient, JujuDbConnectOptions } from '../juju-db-client';
import type { Handshake } from './handshake';

/**
 * The legacy wire-protocol client for juju-db servers the official driver
 * refuses (maxWireVersion < 9: MongoDB 2.4, as Juju 1.25 runs, up to 4.2).
 * `connectJujuDb` calls `handshake`, reads `maxWireVersion`, then either
 * calls `openLegacyJujuDb` (which reuses the handshake's connection) or
 * closes the handshake and uses the driver.
 */

export { handshake, type Handshake } from './handshake';
export { JujuDbAbortError } from './connection';

/** Authenticates and returns the client; reuses the handshake's connection as the pool's first. */
export async function openLegacyJujuDb(_options: JujuDbConnectOptions, _handshake: Handshake): Promise<JujuDbClient> {
  throw new Error('openLegacyJujuDb: not implemented yet');
}
