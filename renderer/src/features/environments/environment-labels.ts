import { assertNever } from '../../../../shared/errors';
import type { Environment, EnvironmentKind } from '../../../../shared/ipc/channels/environments';

/** The switcher's groups, in display order, with the hint each kind gets. */
export const KIND_GROUPS: readonly { kind: EnvironmentKind; label: string }[] = [
  { kind: 'sandbox', label: 'Built in' },
  { kind: 'juju', label: 'Juju environments' },
  { kind: 'manual', label: 'Added by hand' },
];

export function kindHint(kind: EnvironmentKind): string {
  switch (kind) {
    case 'sandbox':
      return 'built in';
    case 'juju':
      return 'Juju';
    case 'manual':
      return 'manual';
    default:
      return assertNever(kind, 'environment kind');
  }
}

/**
 * The text of an environment in the switcher: its name, a hint of its kind,
 * and, when it cannot be used, that it has an error, so a broken `.jenv`
 * never looks like a healthy choice.
 */
export function environmentOptionLabel(environment: Environment): string {
  const notes = [kindHint(environment.kind)];
  if (environment.current) notes.push('current');
  const base = `${environment.name} (${notes.join(', ')})`;
  return environment.error === null ? base : `${base} — error`;
}

/**
 * One line describing how Quorum reaches the environment. A `.jenv`
 * environment always uses Juju's SSH port, and says so: an operator whose
 * sshd listens elsewhere learns why it is refused before reading an error.
 */
export function environmentSummary(environment: Environment): string {
  if (environment.kind === 'sandbox') return 'Embedded sandbox on this computer';
  const servers = environment.stateServers.length;
  const serverText = servers === 1 ? '1 state server' : `${servers} state servers`;
  const port = environment.kind === 'juju' ? `port ${environment.sshPort} (Juju's default)` : `port ${environment.sshPort}`;
  return `${serverText} · SSH on ${port} as ${environment.sshUser}`;
}
