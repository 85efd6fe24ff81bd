import { parseArgs } from 'node:util';
import { resolveQuorumHome } from '../services/paths';
import { isQuorumError } from '../../shared/errors';
import { startSandbox } from './sandbox';
import type { SandboxDescription } from './types';

/**
 * `npm run sandbox`: run the sandbox environment in a terminal, print how to
 * reach each machine, and keep serving until interrupted.
 */

const HELP = `Usage: npm run sandbox -- [options]

Runs Quorum's sandbox Juju 1.25 environment (machines over SSH, juju-db)
in QUORUM_HOME (default: the platform's app-data folder) until interrupted.

Options:
  --json         print the machines, ports and key path as one JSON document
  --reset        throw the existing sandbox away and build a new one
  --scale <MB>   when creating, grow juju-db to about MB megabytes of Juju documents
  -h, --help     show this help
`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd()).join('\n');
}

export function formatDescription(d: SandboxDescription, startMs: number, created: boolean): string {
  const rows = [['MACHINE', 'ADDRESS', 'SSH', 'JOBS', 'POWER', 'JUJU-DB', 'HOST KEY']];
  for (const m of d.machines) {
    rows.push([
      m.id,
      m.address,
      `${m.ssh.host}:${m.ssh.port}`,
      m.jobs.join(','),
      m.powered ? 'on' : 'off',
      m.jujuDb ?? '-',
      m.hostKeyFingerprint,
    ]);
  }
  const first = d.machines.find((m) => m.powered) ?? d.machines[0];
  return [
    `Quorum sandbox: environment "${d.environment.name}" (${d.environment.uuid}), Juju ${d.environment.agentVersion}, series ${d.environment.series}`,
    `${created ? 'Created' : 'Started'} in ${(startMs / 1000).toFixed(1)} s; state in ${d.dir}`,
    '',
    table(rows),
    '',
    `SSH private key (like ~/.juju/ssh/juju_id_rsa): ${d.ssh.privateKeyPath}`,
    first
      ? `Try: ssh -i ${d.ssh.privateKeyPath} -p ${first.ssh.port} -o StrictHostKeyChecking=accept-new ${d.ssh.user}@${first.ssh.host} 'sudo -n service juju-db status'`
      : '',
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}

export function jsonDescription(d: SandboxDescription, home: string, startMs: number, created: boolean): Record<string, unknown> {
  return {
    home,
    dir: d.dir,
    environment: d.environment,
    ssh: d.ssh,
    machines: d.machines,
    startMs,
    created,
  };
}

async function main(): Promise<number> {
  let values: { json?: boolean; reset?: boolean; scale?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean' },
        reset: { type: 'boolean' },
        scale: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const scale = values.scale === undefined ? undefined : Number(values.scale);
  if (scale !== undefined && (!Number.isFinite(scale) || scale < 0 || scale > 8192)) {
    process.stderr.write('--scale takes a size in MB between 0 and 8192.\n');
    return 2;
  }
  const home = resolveQuorumHome();
  // Listen before starting: an interrupt during a long creation still ends in a clean stop.
  const interrupted = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const sandbox = await startSandbox({
    home,
    reset: values.reset,
    scale,
    onLog: (line) => process.stderr.write(`${line}\n`),
  });
  const d = sandbox.describe();
  const { totalMs, created } = sandbox.startInfo;
  if (scale !== undefined && !created) {
    process.stderr.write('Note: --scale applies when the sandbox is created; add --reset to rebuild it at that size.\n');
  }
  if (values.json) process.stdout.write(`${JSON.stringify(jsonDescription(d, home, totalMs, created))}\n`);
  else process.stdout.write(`${formatDescription(d, totalMs, created)}\n`);

  await interrupted;
  if (!values.json) process.stderr.write('Stopping the sandbox…\n');
  await sandbox.stop();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${isQuorumError(err) ? err.message : `The sandbox failed: ${(err as Error).message}`}\n`);
    process.exitCode = 1;
  },
);
