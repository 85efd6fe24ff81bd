/**
 * `--constraints` as Juju 1.25's `constraints.Parse` reads it, turned into
 * the `constraints.Value` JSON the API takes (PROTOCOL.md §4: `mem` and
 * `root-disk` in MB, lists comma-separated). Only the parts
 * ensure-availability needs; errors use Juju's wording so the preview can
 * show them as the CLI would.
 */

export type ConstraintsValue = Record<string, string | number | string[]>;

const SIZE = /^(\d+(?:\.\d+)?)([MGTP]?)$/;
const MULTIPLIER: Readonly<Record<string, number>> = { '': 1, M: 1, G: 1024, T: 1024 * 1024, P: 1024 * 1024 * 1024 };
const ARCHES = ['amd64', 'i386', 'armhf', 'arm64', 'ppc64el'];
const CONTAINERS = ['none', 'lxc', 'kvm'];

export function parseConstraints(text: string): { ok: true; value: ConstraintsValue } | { ok: false; error: string } {
  const value: ConstraintsValue = {};
  for (const part of text.trim().split(/\s+/).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, error: `malformed constraint "${part}"` };
    const name = part.slice(0, eq);
    const raw = part.slice(eq + 1);
    if (name in value) return { ok: false, error: `bad "${name}" constraint: already set` };
    const bad = (why: string) => ({ ok: false as const, error: `bad "${name}" constraint: ${why}` });
    switch (name) {
      case 'arch':
        if (raw !== '' && !ARCHES.includes(raw)) return bad(`"${raw}" not recognized`);
        value[name] = raw;
        break;
      case 'container':
        if (raw !== '' && !CONTAINERS.includes(raw)) return bad(`invalid container type "${raw}"`);
        value[name] = raw;
        break;
      case 'cpu-cores':
      case 'cpu-power':
        if (raw !== '' && !/^\d+$/.test(raw)) return bad('must be a non-negative integer');
        if (raw !== '') value[name] = Number(raw);
        break;
      case 'mem':
      case 'root-disk': {
        const m = SIZE.exec(raw);
        if (raw !== '' && m === null) return bad('must be a non-negative float with optional M/G/T/P suffix');
        if (m !== null) value[name] = Math.ceil(Number(m[1]) * (MULTIPLIER[m[2] ?? ''] ?? 1));
        break;
      }
      case 'tags':
      case 'networks':
      case 'spaces':
        value[name] = raw === '' ? [] : raw.split(',');
        break;
      case 'instance-type':
        value[name] = raw;
        break;
      default:
        return { ok: false, error: `unknown constraint "${name}"` };
    }
  }
  return { ok: true, value };
}
