import os from 'node:os';
import packageJson from '../../package.json';
import { resolveQuorumHome } from '../services/paths';
import type { SandboxStarter } from '../services/sandbox-launcher';
import { parseArgs } from './args';
import { COMMANDS, GROUPS } from './commands/index';
import type { CliIo, Command, CommandContext } from './context';
import { chooseEnvironment, findEnvironment } from './environment';
import { errorMessage, EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError } from './errors';
import { commandHelp, groupHelp, topHelp } from './help';
import { createCliServices, type CliServices } from './services';

/**
 * `quorum`: the console's services from a terminal. Dispatches to one
 * command (`electron/cli/commands/`), reports errors the way juju/cmd's
 * `Main` does (`error: …` and 2 for usage, `ERROR …` and 1 for failures),
 * and always stops what it started (the sandbox, SSH sessions) before it
 * returns.
 */

export interface CliOptions {
  readonly io?: CliIo;
  /** QUORUM_HOME (default from the environment). */
  readonly home?: string;
  readonly homedir?: string;
  /** How to start the sandbox when nobody runs it (Electron passes a utility process). */
  readonly sandboxStarter?: SandboxStarter;
}

export const CLI_COMMAND_WORDS: readonly string[] = [...new Set([...COMMANDS.map((c) => c.path[0]!), 'help', 'version'])];

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stderrIsTty: process.stderr.isTTY === true, cwd: process.cwd(), env: process.env };
}

/** The command `argv` names: the longest matching path. */
function findCommand(argv: readonly string[]): { command: Command<never>; rest: readonly string[] } | null {
  let best: Command<never> | null = null;
  for (const c of COMMANDS) {
    if (c.path.every((w, i) => argv[i] === w) && (best === null || c.path.length > best.path.length)) best = c;
  }
  return best === null ? null : { command: best, rest: argv.slice(best.path.length) };
}

/** Writes through the secret registry once the services (which register secrets) exist. */
function redacting(io: CliIo, services: () => CliServices | null): CliIo {
  const wrap = (w: CliIo['stdout']) => ({ write: (text: string) => w.write(services()?.secrets.redact(text) ?? text) });
  return { ...io, stdout: wrap(io.stdout), stderr: wrap(io.stderr) };
}

export async function main(argv: readonly string[], options: CliOptions = {}): Promise<number> {
  let services: CliServices | null = null;
  const rawIo = options.io ?? defaultIo();
  const io = redacting(rawIo, () => services);
  const version = packageJson.version;
  const usage = (message: string) => {
    io.stderr.write(`error: ${message}\n`);
    return EXIT_USAGE;
  };

  const [first, ...others] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout.write(topHelp(COMMANDS, version));
    return EXIT_OK;
  }
  if (first === 'version' || first === '--version') {
    if (first === 'version' && others.length > 0) return usage(`unrecognized args: [${others.map((a) => JSON.stringify(a)).join(' ')}]`);
    io.stdout.write(`${version}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    if (others.length === 0) {
      io.stdout.write(topHelp(COMMANDS, version));
      return EXIT_OK;
    }
    const found = findCommand(others);
    if (found !== null && found.rest.length === 0) io.stdout.write(commandHelp(found.command));
    else if (others.length === 1 && GROUPS[others[0]!] !== undefined) io.stdout.write(groupHelp(others[0]!, GROUPS[others[0]!]!, COMMANDS));
    else return usage(`unknown command or topic for ${others.join(' ')}`);
    return EXIT_OK;
  }
  const found = findCommand(argv);
  if (found === null) {
    const group = GROUPS[first];
    if (group !== undefined) {
      const sub = others.find((a) => !a.startsWith('-'));
      if (sub !== undefined) return usage(`unrecognized command: quorum ${first} ${sub}`);
      io.stdout.write(groupHelp(first, group, COMMANDS));
      return EXIT_OK;
    }
    return usage(`unrecognized command: quorum ${first}`);
  }

  const { command, rest } = found;
  let parsed: unknown;
  try {
    const args = parseArgs(rest, command.flags);
    if (args.help) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    parsed = command.init(args);
  } catch (error) {
    return usage(errorMessage(error));
  }

  const home = options.home ?? resolveQuorumHome(rawIo.env);
  const homedir = options.homedir ?? os.homedir();
  const getServices = (): CliServices =>
    (services ??= createCliServices({ home, env: rawIo.env, homedir, ...(options.sandboxStarter ? { sandboxStarter: options.sandboxStarter } : {}) }));
  const ctx: CommandContext = {
    io,
    services: getServices,
    async environmentId(flag) {
      const choice = await chooseEnvironment({ flag, env: rawIo.env, homedir });
      const s = getServices();
      const { environments } = await s.environments.list();
      const environment = findEnvironment(choice.name, environments);
      s.log.info(`quorum ${command.path.join(' ')} on ${environment.id}`, { from: choice.from });
      return environment.id;
    },
  };
  try {
    return await command.run(ctx, parsed as never);
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    (services as CliServices | null)?.log.warn(`quorum ${command.path.join(' ')} failed`, { error: errorMessage(error) });
    io.stderr.write(`ERROR ${errorMessage(error)}\n`);
    return EXIT_ERROR;
  } finally {
    await (services as CliServices | null)?.close();
  }
}
