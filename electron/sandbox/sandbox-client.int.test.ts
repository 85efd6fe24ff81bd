import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderRemoteCommand } from '../../shared/remote-commands';
import { launchSandboxProcess, type SandboxProcess } from './sandbox-client';
import { powerCycleMachine3, processAlive, waitForExit } from './testing/sandbox-process-checks';
import { connectSsh } from './testing/ssh-client';

/** The sandbox in a child process (the console's way) and in the CLI. */

let home: string;

beforeAll(async () => {
  home = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-sandbox-child-'));
});

afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

describe('sandbox child process', () => {
  let sb: SandboxProcess | undefined;

  afterAll(async () => {
    await sb?.stop();
  });

  it('serves the orchestrator API over IPC end to end', async () => {
    sb = await launchSandboxProcess({ home });
    console.log(`sandbox child start (${sb.startInfo.created ? 'created' : 'restarted'}): ${sb.startInfo.totalMs} ms`);
    expect(sb.pid).not.toBe(process.pid);
    const d = await sb.describe();
    expect(d.machines).toHaveLength(5);
    const key = await fs.readFile(d.ssh.privateKeyPath, 'utf8');
    const m3 = d.machines.find((m) => m.id === '3')!;
    const ssh = await connectSsh(m3.ssh.port, key, { expectFingerprint: m3.hostKeyFingerprint });
    const r = await ssh.exec(renderRemoteCommand({ kind: 'service', service: 'jujud-machine-3', action: 'status' }));
    expect(r.stdout.toString()).toMatch(/^jujud-machine-3 start\/running, process \d+\n$/);
    ssh.end();

    await powerCycleMachine3(sb);
    const pid = sb.pid;
    await sb.stop();
    sb = undefined;
    expect(processAlive(pid)).toBe(false);
    await expect(connectSsh(m3.ssh.port, key)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('creates the starting shape asked for (1 state server, no workloads) and reports its .jenv', async () => {
    const home1 = await fs.mkdtemp(path.join(os.tmpdir(), 'quorum-sandbox-shape-'));
    const one = await launchSandboxProcess({ home: home1, machines: { stateServers: 1, workloads: 0 }, agents: { provisionDelayMs: 500 } });
    try {
      const d = await one.describe();
      expect(d.machines.map((m) => [m.id, m.stateServer])).toEqual([['0', true]]);
      expect(d.jenvPath).toBe(path.join(home1, 'sandbox', 'environments', 'sandbox.jenv'));
      expect(await fs.readFile(d.jenvPath!, 'utf8')).toMatch(/^state-servers:\n- 10\.23\.0\.10:17070$/m);
    } finally {
      await one.stop();
      await fs.rm(home1, { recursive: true, force: true });
    }
  });

  it('exits when its parent dies', async () => {
    // A parent that launches the sandbox, reports the child's pid, then is killed.
    const here = path.dirname(fileURLToPath(import.meta.url));
    const tsx = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
    const script = `
      import { launchSandboxProcess } from ${JSON.stringify(path.join(here, 'sandbox-client.ts'))};
      const sb = await launchSandboxProcess({ home: ${JSON.stringify(home)} });
      console.log('CHILD ' + sb.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /CHILD (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.once('exit', () => reject(new Error(`parent exited early: ${out}`)));
    });
    expect(processAlive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    expect(await waitForExit(childPid)).toBe(true);
    // The lock was released: the sandbox starts again in this home.
    const sb2 = await launchSandboxProcess({ home });
    await sb2.stop();
  });
});

describe('npm run sandbox', () => {
  it('prints one JSON document with --json and stops cleanly on SIGTERM', async () => {
    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.ts');
    const tsx = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
    const child = spawn(process.execPath, ['--import', tsx, cli, '--json'], {
      env: { ...process.env, QUORUM_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.once('exit', (code) => reject(new Error(`cli exited ${code}: ${stderr}`)));
    });
    const doc = JSON.parse(line) as {
      home: string;
      environment: { name: string };
      ssh: { user: string; privateKeyPath: string };
      machines: Array<{ id: string; ssh: { host: string; port: number } }>;
    };
    expect(doc.home).toBe(home);
    expect(doc.environment.name).toBe('sandbox');
    expect(doc.ssh.privateKeyPath).toBe(path.join(home, 'sandbox', 'ssh', 'juju_id_rsa'));
    expect(doc.machines.map((m) => m.id)).toEqual(['0', '1', '2', '3', '4']);
    const key = await fs.readFile(doc.ssh.privateKeyPath, 'utf8');
    const ssh = await connectSsh(doc.machines[0]!.ssh.port, key);
    ssh.end();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('prints help', async () => {
    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.ts');
    const tsx = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
    const child = spawn(process.execPath, ['--import', tsx, cli, '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/--json/);
    expect(out).toMatch(/--reset/);
    expect(out).toMatch(/--scale <MB>/);
    expect(out).toMatch(/--state-servers <n>/);
  });

  it('refuses an even number of state servers', async () => {
    const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.ts');
    const tsx = path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
    const child = spawn(process.execPath, ['--import', tsx, cli, '--state-servers', '2'], { env: { ...process.env, QUORUM_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/--state-servers takes 1, 3, 5 or 7/);
  });
});
