import { QuorumError } from '../../../shared/errors';

/**
 * Juju's API errors as operator sentences: Juju's own words first (operators
 * search for them), then what to do. Codes and messages are those of
 * PROTOCOL.md §2–§5 (`params.Code*`, `common.ServerError`, the
 * ensure-availability and DestroyMachines messages). Blocked changes, a
 * refused login and an unreachable API are kept distinct because the
 * operator's next step differs for each.
 */

export const CODE_UNAUTHORIZED = 'unauthorized access';
export const CODE_NOT_IMPLEMENTED = 'not implemented';
export const CODE_OPERATION_BLOCKED = 'operation is blocked';
export const CODE_UPGRADE_IN_PROGRESS = 'upgrade in progress';

/** The 1.25 CLI's help after a blocked change (`block.ProcessBlockedError`, BlockChange). */
export const BLOCK_CHANGE_HELP =
  'All operations that change environment have been blocked for the current environment. To unblock changes, run `juju unblock all-changes`.';
/** The same for removals (BlockRemove), which `remove-machine` meets. */
export const BLOCK_REMOVE_HELP =
  'All operations that remove (or delete or terminate) machines, services, units or relations have been blocked for the current environment. To unblock removal, run `juju unblock remove-object`.';

export interface JujuErrorContext {
  /** e.g. `HighAvailability.EnsureAvailability`. */
  readonly call: string;
  /** The state server the call went to. */
  readonly address: string;
  /** Which block help applies when Juju says the operation is blocked. */
  readonly block?: 'change' | 'remove';
}

/** Advice for the messages an operator can act on; null when Juju's words are all there is. */
export function adviceFor(message: string): string | null {
  const rules: readonly (readonly [RegExp, string])[] = [
    [/cannot reduce state server count/, 'Juju cannot lower the number of state servers in place: take a backup, restore it, then run ensure-availability with the smaller count.'],
    [/must be odd and non-negative|odd and non-negative/, 'Choose 1, 3, 5 or 7 state servers.'],
    [/count is too large/, 'Juju allows at most 7 state servers.'],
    [/is already a state server/, 'Choose a machine that is not a state server for --to, or leave placement empty.'],
    [/can't find machine for placement directive/, 'Choose an existing machine id for --to (see the machine list).'],
    [/container placement directives not supported|cannot be used with container placement/, 'Place new state servers on machines, not containers.'],
    [/unsupported (ensure-availability )?placement directive/, 'Use an existing machine id (e.g. 4) for --to.'],
    [/failed to find any voting machines/, 'Juju sees no voting state server: check the replica set; a restore may be needed.'],
    [/unsupported with hosted environments/, 'Run ensure-availability against the state-server environment.'],
    [/juju restore is in progress/, 'A restore is running on this environment: wait for it to finish, then try again.'],
    [/maintenance in progress|upgrade in progress/, 'Juju is upgrading or restoring: wait for it to finish, then try again.'],
    [/state changing too quickly|excessive contention/, 'Juju saw concurrent changes: wait a few seconds and try again.'],
    [/is required by the environment/, 'A state server cannot be removed: run ensure-availability again first (recovery step 2), which takes it out of the state servers.'],
    [/does not exist/, 'Refresh the machine list: that machine is already gone.'],
    [/has unit .* assigned|has assigned units|hosting containers/, 'Remove its units or containers first, or use force.'],
  ];
  for (const [pattern, advice] of rules) if (pattern.test(message)) return advice;
  return null;
}

/** A Juju error message (request-level or per-result) as a QuorumError. */
export function jujuApiError(message: string, code: string, ctx: JujuErrorContext): QuorumError {
  const details = { jujuError: message, jujuCode: code, call: ctx.call, address: ctx.address };
  if (code === CODE_OPERATION_BLOCKED) {
    const help = ctx.block === 'remove' ? BLOCK_REMOVE_HELP : BLOCK_CHANGE_HELP;
    return new QuorumError('juju-blocked', `Juju refused ${ctx.call}: ${message} ${help}`, { details });
  }
  if (code === CODE_NOT_IMPLEMENTED) {
    return new QuorumError(
      'juju-api-error',
      `Juju answered ${ctx.call} with "${message}": this state server does not offer that call. Quorum speaks Juju 1.25's API; check the environment's Juju version.`,
      { details },
    );
  }
  if (code === CODE_UNAUTHORIZED) {
    return new QuorumError('juju-api-error', `Juju refused ${ctx.call}: ${message}. Log in as the environment's admin user.`, { details });
  }
  const advice = adviceFor(message);
  return new QuorumError('juju-api-error', advice === null ? `Juju answered ${ctx.call}: ${message}` : `Juju answered ${ctx.call}: ${message}. ${advice}`, {
    details,
  });
}

/** `Admin.Login` refused: wrong password or user (Juju gives the same answer on purpose). */
export function loginRefused(message: string, code: string, user: string, address: string): QuorumError {
  if (code !== CODE_UNAUTHORIZED && code !== '') return jujuApiError(message, code, { call: 'Admin.Login', address });
  if (code === '' && adviceFor(message) !== null) return jujuApiError(message, code, { call: 'Admin.Login', address });
  return new QuorumError(
    'juju-login-refused',
    `Juju refused the login as ${user}: ${message}. Check the admin password (the .jenv "password", or enter it again).`,
    { details: { jujuError: message, jujuCode: code, address } },
  );
}
