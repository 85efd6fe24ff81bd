import { existsSync } from 'node:fs';
import type { ChildSpawner } from '../sandbox/ipc/child-spawner';
import type { SandboxControl, SandboxDescription } from '../sandbox/types';
import type { SandboxProvider } from './environments/environment-service';
import { describeError, type Logger } from './log';

/** A running sandbox as the console drives it: every call async. */
export interface SandboxHandle extends SandboxControl {
  describe(): Promise<SandboxDescription>;
}

/** How the sandbox is started: a child process (default; a Node child or an Electron utility process) or inside this process. */
export type SandboxStarter = (options: { home: string; onLog: (line: string) => void }) => Promise<SandboxHandle>;

/**
 * Owns the console's sandbox: started lazily on first use (or when the
 * operator selects it), at most once at a time, shared by every service,
 * and stopped when the console quits. A failed start is not cached: the
 * next use tries again.
 */
export interface SandboxLauncher extends SandboxProvider {
  /** Starts the sandbox if it is not running; resolves with its handle. */
  ensureStarted(): Promise<SandboxHandle>;
  /** The running sandbox, or null (never starts one). */
  running(): SandboxHandle | null;
  stop(): Promise<void>;
}

export interface SandboxLauncherOptions {
  readonly home: string;
  readonly log: Logger;
  readonly start?: SandboxStarter;
}

export function createSandboxLauncher(options: SandboxLauncherOptions): SandboxLauncher {
  const log = options.log.child('sandbox');
  const start = options.start ?? childProcessStarter();
  let handle: SandboxHandle | null = null;
  let starting: Promise<SandboxHandle> | null = null;
  let last: SandboxDescription | null = null;
  let stopped = false;

  const ensureStarted = (): Promise<SandboxHandle> => {
    if (handle !== null) return Promise.resolve(handle);
    if (stopped) return Promise.reject(new Error('The console is shutting down.'));
    starting ??= (async () => {
      const began = Date.now();
      log.info('Starting the sandbox');
      try {
        const h = await start({ home: options.home, onLog: (line) => log.info(line) });
        last = await h.describe();
        if (stopped) {
          await h.stop();
          throw new Error('The console is shutting down.');
        }
        handle = h;
        log.info('Sandbox ready', { ms: Date.now() - began, machines: last.machines.length });
        return h;
      } catch (error) {
        log.error('The sandbox failed to start', { error: describeError(error) });
        throw error;
      } finally {
        starting = null;
      }
    })();
    return starting;
  };

  return {
    ensureStarted,
    running: () => handle,
    async describe() {
      const h = await ensureStarted();
      last = await h.describe();
      return last;
    },
    peek: () => (handle === null ? null : last),
    async stop() {
      stopped = true;
      const h = handle ?? (starting ? await starting.catch(() => null) : null);
      handle = null;
      if (h !== null) {
        log.info('Stopping the sandbox');
        await h.stop().catch((error: unknown) => log.error('The sandbox did not stop cleanly', { error: describeError(error) }));
      }
    },
  };
}

/**
 * Runs the sandbox in a child process so juju-db and the SSH hosts never
 * compete with the console's event loop. `entry` is the bundled
 * `out/main/sandbox-process.js` when it exists; from sources the sandbox
 * client finds `process.ts` and runs it through tsx. `spawn` chooses the
 * kind of child: a Node child by default; Electron's main passes
 * `utilityProcessSpawner(utilityProcess.fork)` (services never import
 * Electron, so it comes in from there).
 */
export function childProcessStarter(entry?: string, spawn?: ChildSpawner): SandboxStarter {
  return async ({ home, onLog }) => {
    const { launchSandboxProcess } = await import('../sandbox/sandbox-client');
    return launchSandboxProcess({
      home,
      onLog,
      ...(entry !== undefined && existsSync(entry) ? { entry } : {}),
      ...(spawn !== undefined ? { spawn } : {}),
    });
  };
}

/**
 * Runs the sandbox inside this process, competing with its event loop: for
 * tests and tools only. Electron's hardened fuses disable `runAsNode`, so
 * there the sandbox runs in a utility process (`childProcessStarter` with
 * `utilityProcessSpawner`) instead.
 */
export function inProcessStarter(): SandboxStarter {
  return async ({ home, onLog }) => {
    const { startSandbox } = await import('../sandbox/sandbox');
    const sandbox = await startSandbox({ home, onLog });
    return { ...bindAll(sandbox), describe: async () => sandbox.describe() };
  };
}

function bindAll(s: SandboxControl): SandboxControl {
  return {
    describe: () => s.describe(),
    powerOff: (id) => s.powerOff(id),
    powerOn: (id) => s.powerOn(id),
    setMemberHealthy: (id, healthy) => s.setMemberHealthy(id, healthy),
    rotateHostKey: (id) => s.rotateHostKey(id),
    addMachine: (o) => s.addMachine(o),
    setBlock: (kind, message) => s.setBlock(kind, message),
    ...(s.setDiskFree ? { setDiskFree: (id: string, bytes: number | null) => s.setDiskFree!(id, bytes) } : {}),
    stop: () => s.stop(),
  };
}
