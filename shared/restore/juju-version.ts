/**
 * Juju version numbers as a backup's `metadata.json` records them, read the
 * way Juju 1.25's `version.Parse` does (`juju/version`: `1.25.6`,
 * `1.21-alpha3`, `1.22.8.1`), plus a lenient fallback that still finds
 * major.minor in forms Juju never writes there (`1.25.6-trusty-amd64`,
 * `v1.25`). The restore verdict needs only major and minor, but it must say
 * when it had to guess. Pure TypeScript.
 */

export interface JujuVersion {
  readonly major: number;
  readonly minor: number;
  /** Patch number, or the number after the tag (`alpha3` → 3). */
  readonly patch: number;
  /** Pre-release tag (`alpha`, `beta`), empty for a release. */
  readonly tag: string;
  readonly build: number;
  /** True when the text matched Juju's own pattern; false when only the lenient fallback found major.minor. */
  readonly exact: boolean;
  readonly text: string;
}

/** Juju's `numberPat`: `^(\d{1,9})\.(\d{1,9})(?:\.|-([a-z]+))(\d{1,9})(\.\d{1,9})?$`. */
const JUJU_NUMBER = /^(\d{1,9})\.(\d{1,9})(?:\.|-([a-z]+))(\d{1,9})(\.\d{1,9})?$/;
/** major.minor at the start, possibly after a `v`, ending there or at `.`, `-` or a space. */
const LENIENT = /^v?(\d{1,9})\.(\d{1,9})(?=$|[.\-\s])/;

/** The version Juju records when an archive has no metadata.json (`UnknownOrigin`). */
export const UNKNOWN_VERSION = '9999.9999.9999';

/** Parses a Juju version; null when not even major.minor can be found. */
export function parseJujuVersion(text: string): JujuVersion | null {
  const trimmed = text.trim();
  const m = JUJU_NUMBER.exec(trimmed);
  if (m && trimmed === text) {
    return {
      major: Number(m[1]),
      minor: Number(m[2]),
      patch: Number(m[4]),
      tag: m[3] ?? '',
      build: m[5] ? Number(m[5].slice(1)) : 0,
      exact: true,
      text,
    };
  }
  const l = LENIENT.exec(trimmed);
  if (!l) return null;
  return { major: Number(l[1]), minor: Number(l[2]), patch: 0, tag: '', build: 0, exact: false, text };
}
