import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QuorumError, isErrorCode, type SerializedError } from '../../shared/errors';
import { nodeChildSpawner, type ChildSpawner, type SpawnedChild } from './ipc/child-spawner';
import type { ChildMessage, ParentMessage, SandboxMethod, StartPayload } from './ipc/protocol';
import type {
  AddMachineOptions,
  SandboxControl,
  SandboxDescription,
  SandboxMachineDescription,
  SandboxStartInfo,
  StartSandboxOptions,
} from './types';

/**
 * The console's handle on a sandbox running in a child process: the same
 * operations as `Sandbox`, all async, over Node's IPC channel or an
 * Electron utility process's port (`spawn`). `stop()` stops the sandbox
 * cleanly and ends the child (killing it if it hangs).
 */

export interface LaunchSandboxOptions extends Omit<StartSandboxOptions, 'onLog'> {
  /**
   * The child's entry: `process.ts` beside this module when running from
   * sources (started through tsx), or the bundled `sandbox-process.js`
   * beside the bundle. Pass it explicitly when the build puts it elsewhere.
   */
  readonly entry?: string;
  /** Give up on a start that takes longer (first creation with a large scale takes minutes). */
  readonly startTimeoutMs?: number;
  readonly onLog?: (line: string) => void;
  /** How the child is started (default: a Node child through `child_process.fork`). */
  readonly spawn?: ChildSpawner;
}

export interface SandboxProcess extends SandboxControl {
  describe(): Promise<SandboxDescription>;
  readonly startInfo: SandboxStartInfo;
  /** The description as it was when the sandbox became ready. */
  readonly initialDescription: SandboxDescription;
  readonly pid: number;
}

function here(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

export function defaultSandboxEntry(dir = here()): string {
  const ts = path.join(dir, 'process.ts');
  if (existsSync(ts)) return ts;
  // Bundled, this module may sit in a shared chunk (`out/main/chunks/`) one level below the entry.
  const beside = path.join(dir, 'sandbox-process.js');
  const above = path.join(dir, '..', 'sandbox-process.js');
  return existsSync(beside) || !existsSync(above) ? beside : above;
}

/** `--import <tsx loader>` for TypeScript entries, resolved from this package so any cwd works. */
function execArgvFor(entry: string): string[] {
  if (!/\.[cm]?ts$/.test(entry)) return [];
  const require = createRequire(import.meta.url);
  const loader = path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs');
  return ['--import', pathToFileURL(loader).href];
}

function toError(e: SerializedError): QuorumError {
  return new QuorumError(isErrorCode(e.code) ? e.code : 'internal', e.message, e.details ? { details: { ...e.details } } : undefined);
}

export async function launchSandboxProcess(options: LaunchSandboxOptions): Promise<SandboxProcess> {
  const entry = options.entry ?? defaultSandboxEntry();
  const child = (options.spawn ?? nodeChildSpawner)({ entry, execArgv: execArgvFor(entry) });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const failAll = (why: Error) => {
    for (const p of pending.values()) p.reject(why);
    pending.clear();
  };

  const ready = new Promise<{ description: SandboxDescription; startInfo: SandboxStartInfo }>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new QuorumError('timeout', 'The sandbox did not start in time. Check the log, then try again or reset it.'));
      child.kill();
    }, options.startTimeoutMs ?? 10 * 60_000);
    child.onMessage((raw: unknown) => {
      const msg = raw as ChildMessage;
      switch (msg.type) {
        case 'ready':
          clearTimeout(timer);
          resolve({ description: msg.description, startInfo: msg.startInfo });
          break;
        case 'start-failed':
          clearTimeout(timer);
          reject(toError(msg.error));
          break;
        case 'log':
          options.onLog?.(msg.line);
          break;
        case 'result': {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          if (msg.ok) p?.resolve(msg.value);
          else p?.reject(toError(msg.error));
          break;
        }
        case 'stopped': {
          const p = pending.get(msg.id);
          pending.delete(msg.id);
          p?.resolve(undefined);
          break;
        }
      }
    });
    child.onExit((how) => {
      exited = true;
      clearTimeout(timer);
      const err = new QuorumError('sandbox-failed', `The sandbox process ended (${how}). Start it again.`);
      reject(err);
      failAll(err);
    });
    child.onError((err) => {
      clearTimeout(timer);
      reject(new QuorumError('sandbox-failed', 'The sandbox process could not be started.', { cause: err }));
    });
  });

  const post = (message: ParentMessage) => {
    if (exited || !child.running) throw new QuorumError('sandbox-failed', 'The sandbox process is not running. Start it again.');
    child.send(message);
  };
  const { home, reset, scale, machines, mongo, caSignature, agents } = options;
  const payload: StartPayload = { home, reset, scale, machines, mongo, caSignature, agents };
  post({ type: 'start', options: payload });
  const { description, startInfo } = await ready;

  const request = <T>(method: SandboxMethod, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        post({ type: 'call', id, method, args });
      } catch (err) {
        pending.delete(id);
        reject(err as Error);
      }
    });

  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? 0,
    startInfo,
    initialDescription: description,
    describe: () => request<SandboxDescription>('describe'),
    powerOff: (id) => request<void>('powerOff', id),
    powerOn: (id) => request<void>('powerOn', id),
    setMemberHealthy: (id, healthy) => request<void>('setMemberHealthy', id, healthy),
    rotateHostKey: (id) => request<string>('rotateHostKey', id),
    addMachine: (o: AddMachineOptions) => request<SandboxMachineDescription>('addMachine', o),
    setBlock: (kind, message) => request<void>('setBlock', kind, message),
    setDiskFree: (id, bytes) => request<void>('setDiskFree', id, bytes),
    stop: () => (stopping ??= stopChild(child, () => exited, post, () => nextId++, pending)),
  };
}

async function stopChild(
  child: SpawnedChild,
  isExited: () => boolean,
  post: (m: ParentMessage) => void,
  newId: () => number,
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>,
): Promise<void> {
  if (isExited()) return;
  const exit = new Promise<void>((resolve) => child.onExit(() => resolve()));
  try {
    const id = newId();
    pending.set(id, { resolve: () => undefined, reject: () => undefined });
    post({ type: 'stop', id });
  } catch {
    child.terminate();
  }
  const timer = setTimeout(() => child.kill(), 15_000);
  await exit;
  clearTimeout(timer);
}
