import type { FlagSpec, ParsedArgs } from './args';
import type { CliServices } from './services';

/** Where a command writes, and what it knows of its terminal. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Progress is drawn only on a terminal. */
  readonly stderrIsTty: boolean;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What a running command gets: its output, and the services (built on first use, so usage errors never start anything). */
export interface CommandContext {
  readonly io: CliIo;
  services(): CliServices;
  /** The environment `-e`/`JUJU_ENV`/`current-environment` chose, as an environment id. */
  environmentId(flag: string | undefined): Promise<string>;
}

/**
 * One command: its help and flags, `init` (validates the arguments and
 * throws `UsageError` as Juju's `Init` does, before anything connects),
 * and `run`, which returns the exit code or throws (printed as `ERROR …`).
 */
export interface Command<O = unknown> {
  /** Words after `quorum`, e.g. `['backups', 'create']`. */
  readonly path: readonly string[];
  readonly args: string;
  readonly purpose: string;
  readonly doc: string;
  readonly flags: readonly FlagSpec[];
  init(parsed: ParsedArgs): O;
  run(ctx: CommandContext, options: O): Promise<number>;
}

/** Helper so each command file keeps its option type. */
export function defineCommand<O>(command: Command<O>): Command<O> {
  return command;
}

export const environmentFlag: FlagSpec = {
  key: 'environment',
  names: ['e', 'environment'],
  kind: 'string',
  placeholder: 'ENV',
  usage: 'juju environment to operate in (default: JUJU_ENV, then current-environment; "sandbox" is Quorum\'s built-in sandbox)',
};
