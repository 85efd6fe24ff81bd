import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppServices } from '../services/app-services';
import { resolveQuorumHome } from '../services/paths';
import { childProcessStarter } from '../services/sandbox-launcher';
import { e2eScheduleClock } from '../services/schedule/test-clock';
import { startBrowserHost } from './server';

/** Command-line options of browser mode. */
export interface BrowserCliOptions {
  readonly port: number;
  readonly open: boolean;
}

/**
 * `--port <n>` (or `QUORUM_PORT`, default 0: any free port) and `--no-open`
 * (or `QUORUM_NO_OPEN=1`). Flags win over the environment.
 */
export function parseBrowserCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BrowserCliOptions {
  let port = parsePort(env.QUORUM_PORT, 'QUORUM_PORT') ?? 0;
  let open = !(env.QUORUM_NO_OPEN === '1' || env.QUORUM_NO_OPEN === 'true');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--no-open') open = false;
    else if (arg === '--open') open = true;
    else if (arg === '--port') port = parsePort(argv[++i], '--port') ?? failArg('--port needs a number, e.g. --port 8080');
    else if (arg.startsWith('--port=')) port = parsePort(arg.slice(7), '--port') ?? failArg('--port needs a number');
    else failArg(`Unknown option ${arg}. Use --port <n> and --no-open.`);
  }
  return { port, open };
}

function parsePort(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) failArg(`${what} must be a port number between 0 and 65535.`);
  return n;
}

function failArg(message: string): never {
  throw new Error(message);
}

/** The built renderer: beside the bundled `out/main/browser-host.js`, or `out/renderer` from the sources. */
export function findRendererDir(env: Readonly<Record<string, string | undefined>>): string {
  if (env.QUORUM_RENDERER_DIR) return path.resolve(env.QUORUM_RENDERER_DIR);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../renderer'), path.resolve(here, '../../out/renderer')];
  return candidates.find((c) => existsSync(path.join(c, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {
      process.stderr.write('Could not open a browser; open the URL above yourself.\n');
    });
    child.unref();
  } catch {
    process.stderr.write('Could not open a browser; open the URL above yourself.\n');
  }
}

function withScheduleClock(env: NodeJS.ProcessEnv): { scheduleClock?: NonNullable<ReturnType<typeof e2eScheduleClock>> } {
  const clock = e2eScheduleClock(env, { warn: (message) => process.stderr.write(`quorum: ${message}\n`) });
  return clock ? { scheduleClock: clock } : {};
}

async function main(): Promise<void> {
  let options: BrowserCliOptions;
  try {
    options = parseBrowserCliArgs(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`quorum: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const home = resolveQuorumHome(process.env);
  const services = createAppServices({
    home,
    host: 'browser',
    env: process.env,
    // Bundled: out/main/sandbox-process.js beside this file; from sources the client finds process.ts.
    sandboxStarter: childProcessStarter(path.join(path.dirname(fileURLToPath(import.meta.url)), 'sandbox-process.js')),
    // End-to-end tests only: a faster scheduler clock from QUORUM_E2E_SCHEDULE_CLOCK_RATE (see test-clock.ts).
    ...withScheduleClock(process.env),
  });
  let host;
  try {
    host = await startBrowserHost({
      dispatcher: services.dispatcher,
      events: services.events,
      rendererDir: findRendererDir(process.env),
      port: options.port,
      log: services.log,
      stagingDir: path.join(home, 'staging'),
      audience: (watcher, state) => services.topology.audience(watcher, state),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `quorum: port ${options.port} is already in use. Choose another with --port, or --port 0 for any free port.\n`
        : `quorum: could not start browser mode: ${services.secrets.redact(String(error))}\n`,
    );
    await services.close();
    process.exit(1);
  }
  process.stdout.write(`Quorum (browser mode): ${host.url}\n`);
  if (options.open) openBrowser(host.url);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    services.log.info(`Stopping on ${signal}`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void host
      .close()
      .then(() => services.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const invokedDirectly = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) void main();
