import type { SerializedError } from '../../../../shared/errors';
import type { BackupListItem } from '../../../../shared/ipc/channels/backups';
import type { EnsureAvailabilitySpec, MapEntry } from '../../../../shared/ipc/channels/ha';

/**
 * Pure helpers of the HA page: quorum maths in words, the before/after
 * map's labels, what to do about each kind of error, and the spec the form
 * sends. No React here, so they are tested directly.
 */

/** Voters that may fail with quorum holding, once `n` state servers all vote: 1 → 0, 3 → 1, 5 → 2, 7 → 3. */
export function survivableFailures(n: number): number {
  return n <= 0 ? 0 : Math.floor((n - 1) / 2);
}

/** "survives no failure", "survives 1 failure", "survives 2 failures". */
export function survivesText(n: number): string {
  const f = survivableFailures(n);
  if (f === 0) return 'survives no failure';
  return `survives ${f} ${f === 1 ? 'failure' : 'failures'}`;
}

/** What each `change` of the map means, as a short label beside the machine. */
export function changeLabel(entry: MapEntry): string | null {
  switch (entry.change) {
    case 'add':
      return 'new machine';
    case 'promote':
      return 'promoted';
    case 'demote':
      return 'demoted';
    case 'remove':
      return 'removed';
    case 'convert':
      return 'converted';
    case 'maintain':
      return 'maintained';
    case null:
      return null;
  }
}

/** The form's fields, as typed (strings), and the count on the slider. */
export interface HaForm {
  readonly n: number;
  readonly series: string;
  readonly constraints: string;
  readonly placement: readonly string[];
}

/** The request `ha.preview` / `ha.apply` takes for this form (empty options left out, as the CLI does). */
export function specOf(environmentId: string, form: HaForm): EnsureAvailabilitySpec {
  const series = form.series.trim();
  const constraints = form.constraints.trim();
  return {
    environmentId,
    n: form.n,
    ...(series === '' ? {} : { series }),
    ...(constraints === '' ? {} : { constraints }),
    ...(form.placement.length === 0 ? {} : { placement: [...form.placement] }),
  };
}

/** A stable key of a spec, so a late preview answer for an older form is dropped. */
export function specKey(spec: EnsureAvailabilitySpec): string {
  return JSON.stringify([spec.environmentId, spec.n, spec.series ?? '', spec.constraints ?? '', spec.placement ?? []]);
}

/** The CLI command the form amounts to, so an operator can compare with what they know. */
export function cliCommand(form: HaForm): string {
  const parts = ['juju ensure-availability', `-n ${form.n}`];
  if (form.series.trim() !== '') parts.push(`--series ${form.series.trim()}`);
  if (form.constraints.trim() !== '') parts.push(`--constraints "${form.constraints.trim()}"`);
  if (form.placement.length > 0) parts.push(`--to ${form.placement.join(',')}`);
  return parts.join(' ');
}

export type ErrorKind = 'unreachable' | 'connection' | 'login-refused' | 'password-required' | 'blocked' | 'juju' | 'other';

/** The four situations an operator must tell apart: each has its own title and next step. */
export function errorKind(error: SerializedError): ErrorKind {
  switch (error.code) {
    case 'juju-api-unreachable':
      return 'unreachable';
    case 'host-unreachable':
    case 'ssh-auth-failed':
    case 'tls-failed':
    case 'mongo-auth-failed':
    case 'mongo-unavailable':
    case 'timeout':
      return 'connection';
    case 'juju-login-refused':
      return 'login-refused';
    case 'admin-password-required':
      return 'password-required';
    case 'juju-blocked':
      return 'blocked';
    case 'juju-api-error':
      return 'juju';
    default:
      return 'other';
  }
}

export function errorTitle(kind: ErrorKind): string {
  switch (kind) {
    case 'unreachable':
      return "Juju's API cannot be reached";
    case 'connection':
      return 'The state servers cannot be reached';
    case 'login-refused':
      return 'Juju refused the admin login';
    case 'password-required':
      return "Juju's admin password is needed";
    case 'blocked':
      return 'Changes are blocked in this environment';
    case 'juju':
      return 'Juju refused the change';
    case 'other':
      return 'The change could not be made';
  }
}

/** What to do next, when the error's own sentence may not say it. */
export function errorAdvice(kind: ErrorKind): string | null {
  switch (kind) {
    case 'unreachable':
      return 'Check that a state server is running and that jujud (the API server, port 17070) is up on it, then try again. Nothing was changed.';
    case 'login-refused':
      return "Enter the environment's admin password again (the password in its .jenv file).";
    case 'password-required':
      return "Enter the environment's admin password below; Quorum keeps it in memory only.";
    case 'blocked':
      return 'All operations that change the environment have been blocked. To unblock changes, run: juju unblock all-changes';
    case 'connection':
    case 'juju':
    case 'other':
      return null;
  }
}

/** The newest backup whose checksum was verified: the one a restore should start from. */
export function newestVerifiedBackup(items: readonly BackupListItem[]): BackupListItem | null {
  let best: BackupListItem | null = null;
  for (const item of items) {
    if (item.checksumState !== 'verified') continue;
    const started = item.metadata.started ?? '';
    if (best === null || started > (best.metadata.started ?? '')) best = item;
  }
  return best;
}
