/**
 * The server profiles juju-db can present (see `JujuDbProfile`), and what
 * each reports as its version.
 */
import type { JujuDbProfile } from './api';

export type { JujuDbProfile };

/** What a Juju 1.25 state server runs, hence the sandbox's default. */
export const DEFAULT_PROFILE: JujuDbProfile = '2.4';

/** The modern profile's version (`buildInfo`, `serverStatus`). */
export const MODERN_SERVER_VERSION = '6.0.19';

/** `juju-mongodb` on trusty, as a Juju 1.25.6 state server has it. */
export const LEGACY_SERVER_VERSION = '2.4.9';

export const PROFILES: readonly JujuDbProfile[] = ['2.4', '6.0'];

export function isJujuDbProfile(v: unknown): v is JujuDbProfile {
  return v === '2.4' || v === '6.0';
}

/** The `buildInfo.version` a profile reports. */
export function profileVersion(profile: JujuDbProfile): string {
  return profile === '2.4' ? LEGACY_SERVER_VERSION : MODERN_SERVER_VERSION;
}
