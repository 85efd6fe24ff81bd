import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { UtilityForkLike, UtilityProcessLike } from '../ipc/child-spawner';

/**
 * A stand-in for Electron's `utilityProcess.fork`, which cannot run on
 * these machines: a real Node child made to look like a utility process
 * (`parent-port-shim.ts`: `process.parentPort`, no `process.send`), behind
 * the `UtilityProcess` surface the console uses (`postMessage`, `message`,
 * `spawn`, `exit` with a code, `kill()` = SIGTERM, `pid` undefined until
 * spawned and after exit). Records every fork's arguments.
 */
export interface UtilityForkCall {
  readonly modulePath: string;
  readonly args: readonly string[];
  readonly options: Parameters<UtilityForkLike>[2];
}

export function utilityProcessStandIn(): { fork: UtilityForkLike; calls: UtilityForkCall[]; children: Array<UtilityProcessLike & EventEmitter> } {
  const calls: UtilityForkCall[] = [];
  const children: Array<UtilityProcessLike & EventEmitter> = [];
  const here = path.dirname(fileURLToPath(import.meta.url));
  const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
  const shim = pathToFileURL(path.join(here, 'parent-port-shim.ts')).href;
  const standIn: UtilityForkLike = (modulePath, args, options) => {
    calls.push({ modulePath, args: [...args], options });
    // The shim is TypeScript: load tsx first unless the entry already asked for it.
    const loader = options.execArgv.includes(tsx) ? [] : ['--import', tsx];
    const node = fork(modulePath, args, {
      execArgv: [...loader, ...options.execArgv, '--import', shim],
      stdio: [...options.stdio, 'ipc'],
      serialization: 'advanced',
    });
    let running = false;
    const child = Object.assign(new EventEmitter(), {
      postMessage: (message: unknown) => void node.send(message as never),
      kill: () => node.kill('SIGTERM'),
    });
    // A getter (Object.assign would copy its first value): undefined until spawned and after exit.
    Object.defineProperty(child, 'pid', { get: () => (running ? node.pid : undefined) });
    node.once('spawn', () => {
      running = true;
      child.emit('spawn');
    });
    node.on('message', (message) => child.emit('message', message));
    node.once('exit', (code, signal) => {
      running = false;
      // Electron reports the waitpid status; a signal shows as its number here.
      child.emit('exit', code ?? (signal === 'SIGKILL' ? 9 : 15));
    });
    const utility = child as unknown as UtilityProcessLike & EventEmitter;
    children.push(utility);
    return utility;
  };
  return { fork: standIn, calls, children };
}
