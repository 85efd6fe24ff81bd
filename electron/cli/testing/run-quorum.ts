import { execFile } from 'node:child_process';
import path from 'node:path';

/**
 * Runs the real `bin/quorum.mjs` (from the sources) as a child process, as
 * an operator would, for the CLI's integration tests: a clean environment
 * (PATH, HOME, QUORUM_HOME, JUJU_HOME) plus what the test adds, and every
 * byte printed kept in `printed` so a test can check no secret ever left.
 */

export const QUORUM_BIN = path.resolve(import.meta.dirname, '../../../bin/quorum.mjs');

export interface QuorumRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface QuorumRunner {
  (args: readonly string[], env?: Record<string, string>, cwd?: string): Promise<QuorumRun>;
  /** Everything any run printed, stdout and stderr. */
  readonly printed: string[];
}

export function quorumRunner(base: () => { readonly root: string; readonly home: string; readonly jujuHome: string; readonly cwd: string }, timeoutMs = 90_000): QuorumRunner {
  const printed: string[] = [];
  const run = (args: readonly string[], env: Record<string, string> = {}, cwd?: string): Promise<QuorumRun> => {
    const b = base();
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [QUORUM_BIN, ...args],
        {
          cwd: cwd ?? b.cwd,
          env: { PATH: process.env.PATH ?? '', HOME: b.root, QUORUM_HOME: b.home, JUJU_HOME: b.jujuHome, QUORUM_CLI_SOURCE: '1', ...env },
          timeout: timeoutMs,
          maxBuffer: 16 << 20,
        },
        (error, stdout, stderr) => {
          printed.push(stdout, stderr);
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  };
  return Object.assign(run, { printed });
}
