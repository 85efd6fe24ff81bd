import type { JujuDbProfile } from '../types';

/**
 * The juju-db profile integration tests start their sandbox with: the
 * sandbox's default (MongoDB 2.4, what Juju 1.25 runs; Quorum's legacy
 * client) unless `QUORUM_TEST_MONGO=6.0` asks for the modern profile (the
 * official driver), so the same suites cover both implementations:
 *
 *   QUORUM_TEST_MONGO=6.0 npx vitest run --project integration electron/services/connection
 */
export function testMongoProfile(): { mongo?: JujuDbProfile } {
  const value = process.env['QUORUM_TEST_MONGO'];
  if (value === undefined || value === '') return {};
  if (value !== '2.4' && value !== '6.0') throw new Error(`QUORUM_TEST_MONGO must be 2.4 or 6.0, not ${value}`);
  return { mongo: value };
}
