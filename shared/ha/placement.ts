/**
 * Machine ids, machine tags and `--to` placement directives, as Juju 1.25
 * parses them for ensure-availability. Sources (juju/juju, 1.25 line):
 * - `instance/placement.go` `ParsePlacement` (machine scope is `#`; a bare
 *   machine id parses to `#:<id>`; no scope → `ErrPlacementScopeMissing`);
 * - `cmd/juju/commands/ensureavailability.go` `Init` (what the CLI sends);
 * - juju/names `IsValidMachine`, `IsContainerMachine`, `NewMachineTag`.
 * The CLI rewrites `--to 1` to `#:1` before calling the API, so server-side
 * messages quote `"#:1"`; the preview must quote what the server would.
 */

/** juju/names: `(?:0|[1-9][0-9]*)(?:/[a-z]+/(?:0|[1-9][0-9]*))*`. */
const MACHINE_ID = /^(?:0|[1-9][0-9]*)(?:\/[a-z]+\/(?:0|[1-9][0-9]*))*$/;

/** Juju 1.25's container types (`instance.ContainerTypes`); `lxd` came with 2.0. */
const CONTAINER_TYPES: readonly string[] = ['lxc', 'kvm'];

/** `instance.MachineScope`. */
export const MACHINE_SCOPE = '#';

export function isValidMachineId(id: string): boolean {
  return MACHINE_ID.test(id);
}

export function isContainerMachineId(id: string): boolean {
  return isValidMachineId(id) && id.includes('/');
}

/** `names.NewMachineTag(id).String()`: `1/lxc/0` → `machine-1-lxc-0`. */
export function machineTag(id: string): string {
  return `machine-${id.replaceAll('/', '-')}`;
}

/** The id of a machine tag, or null for anything else (the CLI skips tags it cannot parse). */
export function machineIdFromTag(tag: string): string | null {
  if (!tag.startsWith('machine-')) return null;
  const id = tag.slice('machine-'.length).replaceAll('-', '/');
  return isValidMachineId(id) ? id : null;
}

/** A parsed directive; `scope` is `#` for machines, a container type, or a provider scope. */
export interface Placement {
  readonly scope: string;
  readonly directive: string;
}

export type ParsedPlacement =
  | { readonly kind: 'scoped'; readonly placement: Placement }
  | { readonly kind: 'scope-missing' }
  | { readonly kind: 'invalid'; readonly message: string };

/** `instance.ParsePlacement` (1.22+): never called with "" here. */
export function parsePlacement(text: string): ParsedPlacement {
  const colon = text.indexOf(':');
  if (colon !== -1) {
    const scope = text.slice(0, colon);
    const directive = text.slice(colon + 1);
    if (scope === '') return { kind: 'scope-missing' };
    if ((scope === MACHINE_SCOPE || CONTAINER_TYPES.includes(scope)) && !isValidMachineId(directive)) {
      return { kind: 'invalid', message: `invalid value "${directive}" for "${scope}" scope: expected machine-id` };
    }
    return { kind: 'scoped', placement: { scope, directive } };
  }
  if (isValidMachineId(text)) return { kind: 'scoped', placement: { scope: MACHINE_SCOPE, directive: text } };
  if (CONTAINER_TYPES.includes(text)) return { kind: 'scoped', placement: { scope: text, directive: '' } };
  return { kind: 'scope-missing' };
}

/**
 * The CLI's `--to p1,p2` handling (`EnsureAvailabilityCommand.Init`): machine
 * ids become `#:<id>`, unscoped provider directives pass verbatim, containers
 * and other scopes are refused. Returns the list the API receives.
 */
export function parseCliPlacement(spec: string): { readonly ok: true; readonly placement: readonly string[] } | { readonly ok: false; readonly error: string } {
  if (spec === '') return { ok: true, placement: [] };
  const placement: string[] = [];
  for (const raw of spec.split(',')) {
    // Go's ParsePlacement("") returns (nil, nil) and Init then dereferences nil; refuse instead.
    if (raw.trim() === '') return { ok: false, error: `unsupported ensure-availability placement directive ${goQuote(raw)}` };
    const parsed = parsePlacement(raw.trim());
    if (parsed.kind === 'scoped' && isContainerMachineId(parsed.placement.directive)) {
      return { ok: false, error: 'ensure-availability cannot be used with container placement directives' };
    }
    if (parsed.kind === 'scoped' && parsed.placement.scope === MACHINE_SCOPE) {
      placement.push(`${MACHINE_SCOPE}:${parsed.placement.directive}`);
      continue;
    }
    if (parsed.kind !== 'scope-missing') return { ok: false, error: `unsupported ensure-availability placement directive ${goQuote(raw)}` };
    placement.push(raw);
  }
  return { ok: true, placement };
}

/** Go's `%q` for the plain strings used here (quotes and backslashes escaped). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
