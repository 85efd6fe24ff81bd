import { parseArgs } from 'node:util';
import { resolveQuorumHome } from '../services/paths';
import { isQuorumError } from '../../shared/errors';
import { startSandbox } from './sandbox';
import { isJujuDbProfile } from './juju-db/profile';
import type { CaSignature, JujuDbProfile, SandboxDescription } from './types';

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
  --mongo <v>    when creating, the MongoDB juju-db presents: 2.4 (default, as
                 Juju 1.25 runs it: legacy protocol, MONGODB-CR) or 6.0 (OP_MSG, SCRAM)
  --state-servers <n>
                 when creating, how many state servers (1, 3, 5 or 7; default 3):
                 start from 1 to try ensure-availability 1 -> 3
  --workloads <n>
                 when creating, how many workload machines (default 2)
  --provision-delay <ms>
                 time a machine added by ensure-availability takes from
                 pending to started (default 3000)
  --ca-signature <sha256|sha1>
                 when creating, the digest the environment CA is signed with
                 (sha1: as a Juju built by an older Go; default sha256)
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
    `Quorum sandbox: environment "${d.environment.name}" (${d.environment.uuid}), Juju ${d.environment.agentVersion}, series ${d.environment.series}${d.jujuDb ? `, juju-db ${d.jujuDb.version}` : ''}`,
    `${created ? 'Created' : 'Started'} in ${(startMs / 1000).toFixed(1)} s; state in ${d.dir}`,
    '',
    table(rows),
    '',
    `SSH private key (like ~/.juju/ssh/juju_id_rsa): ${d.ssh.privateKeyPath}`,
    ...(d.jenvPath ? [`Environment file (like ~/.juju/environments/sandbox.jenv): ${d.jenvPath}`] : []),
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
    jujuDb: d.jujuDb,
    ssh: d.ssh,
    jenvPath: d.jenvPath,
    machines: d.machines,
    startMs,
    created,
  };
}

/** `--state-servers` (1, 3, 5 or 7) and `--workloads` (0–25); an error message when invalid. */
function parseShape(stateServers: string | undefined, workloads: string | undefined): { stateServers?: number; workloads?: number } | undefined | string {
  if (stateServers === undefined && workloads === undefined) return undefined;
  const s = stateServers === undefined ? undefined : Number(stateServers);
  if (s !== undefined && ![1, 3, 5, 7].includes(s)) return '--state-servers takes 1, 3, 5 or 7 (Juju keeps an odd number of state servers, at most 7).';
  const w = workloads === undefined ? undefined : Number(workloads);
  if (w !== undefined && (!Number.isInteger(w) || w < 0 || w > 25)) return '--workloads takes a number of machines between 0 and 25.';
  return { ...(s === undefined ? {} : { stateServers: s }), ...(w === undefined ? {} : { workloads: w }) };
}

async function main(): Promise<number> {
  let values: {
    json?: boolean;
    reset?: boolean;
    scale?: string;
    mongo?: string;
    'ca-signature'?: string;
    'state-servers'?: string;
    workloads?: string;
    'provision-delay'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean' },
        reset: { type: 'boolean' },
        scale: { type: 'string' },
        mongo: { type: 'string' },
        'ca-signature': { type: 'string' },
        'state-servers': { type: 'string' },
        workloads: { type: 'string' },
        'provision-delay': { type: 'string' },
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
  if (values.mongo !== undefined && !isJujuDbProfile(values.mongo)) {
    process.stderr.write('--mongo takes 2.4 or 6.0.\n');
    return 2;
  }
  const mongo = values.mongo as JujuDbProfile | undefined;
  const caSignature = values['ca-signature'];
  if (caSignature !== undefined && caSignature !== 'sha1' && caSignature !== 'sha256') {
    process.stderr.write('--ca-signature takes sha256 or sha1.\n');
    return 2;
  }
  const shape = parseShape(values['state-servers'], values.workloads);
  if (typeof shape === 'string') {
    process.stderr.write(`${shape}\n`);
    return 2;
  }
  const provisionDelayMs = values['provision-delay'] === undefined ? undefined : Number(values['provision-delay']);
  if (provisionDelayMs !== undefined && (!Number.isInteger(provisionDelayMs) || provisionDelayMs < 0 || provisionDelayMs > 600_000)) {
    process.stderr.write('--provision-delay takes milliseconds between 0 and 600000.\n');
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
    mongo,
    caSignature: caSignature as CaSignature | undefined,
    machines: shape,
    agents: provisionDelayMs === undefined ? undefined : { provisionDelayMs },
    onLog: (line) => process.stderr.write(`${line}\n`),
  });
  const d = sandbox.describe();
  const { totalMs, created } = sandbox.startInfo;
  if (scale !== undefined && !created) {
    process.stderr.write('Note: --scale applies when the sandbox is created; add --reset to rebuild it at that size.\n');
  }
  if (shape !== undefined && !created) {
    process.stderr.write('Note: --state-servers and --workloads apply when the sandbox is created; add --reset to rebuild it with that shape.\n');
  }
  if (caSignature !== undefined && !created && caSignature !== d.environment.caSignature) {
    process.stderr.write('Note: --ca-signature applies when the sandbox is created; add --reset to rebuild it.\n');
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
