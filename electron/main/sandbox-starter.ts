import path from 'node:path';
import { utilityProcess } from 'electron';
import { utilityProcessSpawner, type UtilityForkLike } from '../sandbox/ipc/child-spawner';
import { childProcessStarter, type SandboxStarter } from '../services/sandbox-launcher';

/**
 * The sandbox under Electron: `out/main/sandbox-process.js` in a utility
 * process, so juju-db and the SSH hosts never compete with the main
 * process's event loop. The hardened fuses turn off `runAsNode`, which
 * rules out `child_process.fork` of the Electron binary; utility processes
 * are not affected, and Chromium ends them with the app.
 * Call after `app` is ready (`utilityProcess.fork` requires it).
 */
export function utilityProcessStarter(mainDir: string): SandboxStarter {
  const fork: UtilityForkLike = (modulePath, args, options) => utilityProcess.fork(modulePath, args, options);
  return childProcessStarter(path.join(mainDir, 'sandbox-process.js'), utilityProcessSpawner(fork));
}
