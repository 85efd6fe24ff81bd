import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** Browser mode as a process, from the sources: the printed line, the token, a clean exit on signals. */
const ROOT = path.resolve(import.meta.dirname, '../..');
const tsxLoader = pathToFileURL(
  path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs'),
).href;

let home: string;
const children: Array<{ kill(): boolean; exitCode: number | null }> = [];
beforeEach(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'quorum-cli-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  await rm(home, { recursive: true, force: true });
});

function startCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(ROOT, 'electron/host/cli.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, QUORUM_HOME: home, JUJU_HOME: path.join(home, 'no-juju'), QUORUM_NO_OPEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => (stdout += d));
  const line = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line; stdout: ${stdout}`)), 30_000);
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(stdout.split('\n')[0]!);
      }
    });
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, line, exit, stdout: () => stdout };
}

describe('browser-mode CLI', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('prints exactly one URL line, answers with the token, and exits 0 on %s', async (signal) => {
    const cli = startCli(['--no-open', '--port', '0']);
    const line = await cli.line;
    const match = /^Quorum \(browser mode\): http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{43})$/.exec(line);
    expect(match, line).not.toBeNull();
    const [, port, token] = match!;
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(401);
    const first = await fetch(`http://127.0.0.1:${port}/?token=${token}`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect((await stat(path.join(home, 'logs', 'quorum.log'))).isFile()).toBe(true);
    cli.child.kill(signal);
    expect(await cli.exit).toBe(0);
    expect(cli.stdout().trim().split('\n')).toHaveLength(1);
  });

  it('refuses a bad option with exit code 2 and a sentence on stderr', async () => {
    const child = spawn(process.execPath, ['--import', tsxLoader, path.join(ROOT, 'electron/host/cli.ts'), '--bogus'], {
      cwd: ROOT,
      env: { ...process.env, QUORUM_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('Unknown option --bogus');
  });
});
