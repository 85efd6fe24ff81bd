import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * Electron's main starts the sandbox in a utility process. The Electron
 * binary cannot run here, so `electron` is a stand-in whose
 * `utilityProcess.fork` runs a Node child shaped like a utility process
 * (`process.parentPort`, no `process.send`): this checks what main forks
 * (its bundle's `sandbox-process.js`, named, no stdin) and that the sandbox
 * then runs and stops through it.
 */
const standIn = await vi.hoisted(async () => {
  const { utilityProcessStandIn } = await import('../sandbox/testing/utility-process-stand-in');
  return utilityProcessStandIn();
});

vi.mock('electron', () => ({ utilityProcess: { fork: standIn.fork } }));

const { utilityProcessStarter } = await import('./sandbox-starter');

const sandboxDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'sandbox');
let root: string;
let mainDir: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-electron-sandbox-'));
  // Stands for `out/main/sandbox-process.js`: the built entry, here loading the sources.
  mainDir = path.join(root, 'out', 'main');
  await fs.mkdir(mainDir, { recursive: true });
  // ESM, as the repository's package.json makes `out/main` in the real build.
  await fs.writeFile(path.join(root, 'package.json'), '{ "type": "module" }\n');
  await fs.writeFile(path.join(mainDir, 'sandbox-process.js'), `await import(${JSON.stringify(pathToFileURL(path.join(sandboxDir, 'process.ts')).href)});\n`);
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('Electron main: sandbox starter', () => {
  it('forks out/main/sandbox-process.js as a utility process and drives the sandbox through it', async () => {
    const logs: string[] = [];
    const handle = await utilityProcessStarter(mainDir)({ home: path.join(root, 'home'), onLog: (l) => logs.push(l) });
    try {
      expect(standIn.calls).toHaveLength(1);
      const [call] = standIn.calls;
      expect(call!.modulePath).toBe(path.join(mainDir, 'sandbox-process.js'));
      expect(call!.args).toEqual([]);
      // A built .js entry needs no loader flags.
      expect(call!.options).toEqual({ serviceName: 'Quorum sandbox', stdio: ['ignore', 'inherit', 'inherit'], execArgv: [] });
      expect(logs.length).toBeGreaterThan(0);
      const d = await handle.describe();
      expect(d.machines.map((m) => m.id)).toEqual(['0', '1', '2', '3', '4']);
      await handle.setMemberHealthy('1', false);
      await handle.setMemberHealthy('1', true);
    } finally {
      const exit = new Promise<number>((resolve) => standIn.children[0]!.once('exit', resolve));
      await handle.stop();
      expect(await exit).toBe(0);
    }
  });
});
