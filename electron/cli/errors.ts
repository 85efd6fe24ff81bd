import { isQuorumError } from '../../shared/errors';

/**
 * The two ways a command fails, as juju/cmd's `Main` reports them: a usage
 * error (bad flag, missing or extra argument) from parsing or `Init` prints
 * `error: <message>` and exits 2; a failure while running prints
 * `ERROR <message>` and exits 1.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A runtime failure whose message is already in Juju's words (printed as is after `ERROR `). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** The one line printed after `ERROR ` for a failure: the operator-facing message, never a stack. */
export function errorMessage(error: unknown): string {
  if (isQuorumError(error)) return error.message;
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** `%q` of a Go `[]string`, as `cmd.CheckEmpty` prints extra arguments: `["a" "b"]`. */
export function goQuoteList(values: readonly string[]): string {
  return `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;
}

/** juju/cmd's `CheckEmpty`: extra positional arguments are a usage error. */
export function checkEmpty(args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`unrecognized args: ${goQuoteList(args)}`);
}
