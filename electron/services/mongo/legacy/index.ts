/**
 * The legacy wire-protocol client for juju-db servers the official driver
 * refuses (maxWireVersion < 9: MongoDB 2.4, as Juju 1.25 runs, up to 4.2).
 * `connectJujuDb` calls `handshake`, reads `maxWireVersion`, then either
 * calls `openLegacyJujuDb` (which reuses the handshake's connection) or
 * closes the handshake and uses the driver.
 */

export { handshake, type Handshake } from './handshake';
export { openLegacyJujuDb } from './open';
export { JujuDbAbortError } from './connection';
