import { UsageError } from './errors';

/**
 * Flag parsing the way Juju's commands parse (launchpad.net/gnuflag with
 * interspersed flags): `-e ENV`, `-e=ENV`, `--environment ENV`,
 * `--environment=ENV`, boolean `--quiet` (or `--quiet=false`), flags
 * anywhere among the positional arguments, `--` ending the flags. Errors
 * use gnuflag's words (`flag provided but not defined: --x`, `flag needs an
 * argument: --filename`); `-h`/`--help` asks for help.
 */

export type FlagKind = 'string' | 'bool' | 'int';

export interface FlagSpec {
  /** Key in the parsed result. */
  readonly key: string;
  /** Names without dashes, e.g. `['e', 'environment']`: one letter is short (`-e`), longer ones long (`--environment`). */
  readonly names: readonly string[];
  readonly kind: FlagKind;
  /** Shown in help: `--filename (= "")`. */
  readonly usage: string;
  /** Value placeholder in help (default `value`). */
  readonly placeholder?: string;
}

export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | boolean | number | undefined>>;
  readonly positionals: readonly string[];
  /** `-h`/`--help` was given. */
  readonly help: boolean;
}

const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

function parseBool(value: string, flag: string): boolean {
  if (/^(1|t|T|true|TRUE|True)$/.test(value)) return true;
  if (/^(0|f|F|false|FALSE|False)$/.test(value)) return false;
  throw new UsageError(`invalid value ${JSON.stringify(value)} for flag ${flag}: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

function parseInt10(value: string, flag: string): number {
  if (!/^[+-]?\d+$/.test(value)) {
    throw new UsageError(`invalid value ${JSON.stringify(value)} for flag ${flag}: strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  return Number(value);
}

export function parseArgs(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map<string, FlagSpec>();
  for (const spec of specs) for (const name of spec.names) byName.set(name, spec);
  const flags: Record<string, string | boolean | number | undefined> = {};
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.length < 2 || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === 'h' || name === 'help') {
      help = true;
      continue;
    }
    const spec = byName.get(name);
    if (spec === undefined || name.length === 0) throw new UsageError(`flag provided but not defined: ${arg.split('=')[0]}`);
    const flag = dashed(name);
    if (spec.kind === 'bool') {
      flags[spec.key] = inline === undefined ? true : parseBool(inline, flag);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: ${flag}`);
      value = args[++i]!;
    }
    flags[spec.key] = spec.kind === 'int' ? parseInt10(value, flag) : value;
  }
  return { flags, positionals, help };
}

/** The `Options:` block of a command's help, gnuflag's way: each flag's names, then its usage indented. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  return specs
    .map((s) => {
      const names = s.names.map((n) => (s.kind === 'bool' ? dashed(n) : `${dashed(n)} ${s.placeholder ?? 'value'}`)).join(', ');
      return `${names}\n    ${s.usage}`;
    })
    .join('\n');
}

export const str = (parsed: ParsedArgs, key: string): string | undefined => {
  const v = parsed.flags[key];
  return typeof v === 'string' ? v : undefined;
};
export const bool = (parsed: ParsedArgs, key: string): boolean => parsed.flags[key] === true;
export const int = (parsed: ParsedArgs, key: string): number | undefined => {
  const v = parsed.flags[key];
  return typeof v === 'number' ? v : undefined;
};
