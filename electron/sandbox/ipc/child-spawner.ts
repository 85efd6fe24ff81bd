import { fork } from 'node:child_process';
import type { ParentMessage } from './protocol';

/**
 * How the console starts the sandbox child, as the client sees it: a Node
 * child (`child_process.fork`, browser mode and tests) or an Electron
 * utility process (`utilityProcess.fork`, since the hardened fuses turn off
 * running the Electron binary as Node). The client speaks only to this, so
 * the same request/stop logic drives both; Electron itself is injected by
 * `electron/main` (nothing under `electron/sandbox` or services imports it).
 */
export interface SpawnedChild {
  /** Known once the child has spawned (always by the time it reports ready). */
  readonly pid: number | undefined;
  /** False once the child exited or its channel closed. */
  readonly running: boolean;
  send(message: ParentMessage): void;
  onMessage(handler: (message: unknown) => void): void;
  /** Once, with a short description of how it ended (`exit 1`, `SIGKILL`). */
  onExit(handler: (how: string) => void): void;
  /** The child could not be started at all. */
  onError(handler: (error: Error) => void): void;
  /** Ask it to end (SIGTERM: the child stops the sandbox cleanly). */
  terminate(): void;
  /** End it now (SIGKILL), for a child that hangs. */
  kill(): void;
}

export interface SpawnRequest {
  readonly entry: string;
  /** Node flags (the tsx loader when the entry is TypeScript). */
  readonly execArgv: readonly string[];
}

export type ChildSpawner = (request: SpawnRequest) => SpawnedChild;

/** Today's way: a Node child over Node's IPC channel, ended when its parent goes away. */
export const nodeChildSpawner: ChildSpawner = ({ entry, execArgv }) => {
  const child = fork(entry, [], {
    execArgv: [...execArgv],
    // Under Electron, process.execPath is the Electron binary: make it behave as plain Node.
    env: process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  return {
    get pid() {
      return child.pid;
    },
    get running() {
      return !exited && child.connected;
    },
    send: (message) => void child.send(message),
    onMessage: (handler) => void child.on('message', handler),
    onExit: (handler) => void child.once('exit', (code, signal) => handler(signal ?? `exit ${code}`)),
    onError: (handler) => void child.once('error', handler),
    terminate: () => void child.kill('SIGTERM'),
    kill: () => void child.kill('SIGKILL'),
  };
};

/** What the spawner needs of Electron's `UtilityProcess` (structural: no Electron import here). */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  once(event: 'spawn', listener: () => void): unknown;
  kill(): boolean;
}

/** Electron's `utilityProcess.fork`, as `electron/main` passes it in. */
export type UtilityForkLike = (
  modulePath: string,
  args: string[],
  options: { serviceName: string; stdio: Array<'ignore' | 'inherit' | 'pipe'>; execArgv: string[] },
) => UtilityProcessLike;

/**
 * Electron's way: a utility process talking over `process.parentPort`.
 * Chromium ends it with the app, so no parent-death watch is needed; its
 * `kill()` is SIGTERM only, so the hard kill signals the pid.
 */
export function utilityProcessSpawner(utilityFork: UtilityForkLike, serviceName = 'Quorum sandbox'): ChildSpawner {
  return ({ entry, execArgv }) => {
    const child = utilityFork(entry, [], { serviceName, stdio: ['ignore', 'inherit', 'inherit'], execArgv: [...execArgv] });
    let exited = false;
    let lastPid = child.pid;
    child.once('spawn', () => (lastPid = child.pid));
    child.once('exit', () => (exited = true));
    return {
      get pid() {
        return child.pid ?? lastPid;
      },
      get running() {
        return !exited;
      },
      send: (message) => child.postMessage(message),
      onMessage: (handler) => void child.on('message', handler),
      onExit: (handler) => void child.once('exit', (code) => handler(`exit ${code}`)),
      // A utility process that cannot start reports it through `exit`.
      onError: () => undefined,
      terminate: () => void child.kill(),
      kill: () => {
        const pid = child.pid ?? lastPid;
        // Never 0 or negative: process.kill would signal a whole process group.
        if (exited || pid === undefined || pid <= 0) return;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      },
    };
  };
}
