import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchSandboxProcess, type SandboxProcess } from '../sandbox-client';
import { powerCycleMachine3, waitForExit } from '../testing/sandbox-process-checks';
import { connectSsh } from '../testing/ssh-client';
import { utilityProcessStandIn } from '../testing/utility-process-stand-in';
import { utilityProcessSpawner } from './child-spawner';

/**
 * The sandbox through the utility-process spawner and the parent-port
 * channel, for real except for Electron's primitive: the stand-in forks a
 * Node child that has `process.parentPort` and no `process.send`, so the
 * entry only works if it picked Electron's channel. The Node path is the
 * default of `sandbox-client.int.test.ts`.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-sandbox-utility-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});


describe('sandbox in a utility process (stand-in)', () => {
  let sb: SandboxProcess | undefined;

  afterAll(async () => {
    await sb?.stop();
  });

  it('serves the orchestrator API over the parent port and exits 0 on stop', async () => {
    const standIn = utilityProcessStandIn();
    const home = path.join(root, 'a');
    const logs: string[] = [];
    sb = await launchSandboxProcess({ home, spawn: utilityProcessSpawner(standIn.fork, 'Quorum sandbox (test)'), onLog: (l) => logs.push(l) });
    expect(standIn.calls).toHaveLength(1);
    const [call] = standIn.calls;
    expect(call!.modulePath).toBe(path.join(here, '..', 'process.ts'));
    expect(call!.args).toEqual([]);
    expect(call!.options.serviceName).toBe('Quorum sandbox (test)');
    expect(call!.options.stdio).toEqual(['ignore', 'inherit', 'inherit']);
    expect(logs.length).toBeGreaterThan(0);
    expect(sb.pid).toBeGreaterThan(0);
    expect(sb.pid).not.toBe(process.pid);
    expect(sb.initialDescription.machines).toHaveLength(5);

    const m3 = await powerCycleMachine3(sb);

    const exitCode = new Promise<number>((resolve) => standIn.children[0]!.once('exit', resolve));
    const pid = sb.pid;
    await sb.stop();
    sb = undefined;
    expect(await exitCode).toBe(0);
    expect(await waitForExit(pid)).toBe(true);
    await expect(connectSsh(m3.port, m3.key)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('kills a utility process hard when its start takes too long', async () => {
    const standIn = utilityProcessStandIn();
    const started = launchSandboxProcess({ home: path.join(root, 'b'), spawn: utilityProcessSpawner(standIn.fork), startTimeoutMs: 300 });
    await expect(started).rejects.toMatchObject({ code: 'timeout' });
    const child = standIn.children[0]!;
    const code = await new Promise<number>((resolve) => {
      if (child.pid === undefined) resolve(-1);
      else child.once('exit', resolve);
    });
    // 9: SIGKILL through the pid, since a utility process's own kill() is only SIGTERM.
    expect(code).toBe(9);
  });

  it('a running sandbox that dies fails its pending calls with sandbox-failed', async () => {
    const standIn = utilityProcessStandIn();
    const run = await launchSandboxProcess({ home: path.join(root, 'c'), spawn: utilityProcessSpawner(standIn.fork) });
    expect(run.pid).toBeGreaterThan(0);
    process.kill(run.pid, 'SIGKILL');
    await expect(run.describe()).rejects.toMatchObject({ code: 'sandbox-failed' });
    await expect(run.describe()).rejects.toMatchObject({ code: 'sandbox-failed', message: expect.stringMatching(/Start it again/) });
    await run.stop();
  });
});

describe('sandbox entry without a channel', () => {
  it('refuses to run by hand and points at npm run sandbox', async () => {
    const tsx = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
    const child = spawn(process.execPath, ['--import', tsx, path.join(here, '..', 'process.ts')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/npm run sandbox/);
  });
});
