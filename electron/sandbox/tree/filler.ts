import { createHash, randomBytes } from 'node:crypto';
import { TOOLS_VERSION, machineTag } from '../model';

/**
 * Plausible file contents for the parts of a Juju host that only need to
 * look real: the `jujud` binary (an ELF header and a few KB of filler) and
 * agent logs in Juju 1.25's line format.
 */

export function jujudBinary(): Buffer {
  const header = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x3e, 0x00]);
  const strings = Buffer.from(
    '\0Go build ID: "sandbox"\0github.com/juju/juju/cmd/jujud\0github.com/juju/juju/worker/peergrouper\0' +
      `runtime.main\0${TOOLS_VERSION}\0gopkg.in/mgo.v2\0`,
  );
  return Buffer.concat([header, randomBytes(6 * 1024), strings, randomBytes(2 * 1024)]);
}

export function downloadedTools(binary: Buffer): string {
  return `${JSON.stringify({
    version: TOOLS_VERSION,
    url: `https://streams.canonical.com/juju/tools/releases/juju-${TOOLS_VERSION}.tgz`,
    sha256: createHash('sha256').update(binary).digest('hex'),
    size: binary.length,
  })}\n`;
}

function stamp(base: Date, offsetSeconds: number): string {
  const d = new Date(base.getTime() + offsetSeconds * 1000);
  return d.toISOString().replace('T', ' ').slice(0, 19);
}

/** The lines a machine agent logs while it starts (Juju 1.25 `loggo` format). */
export function machineLogLines(machineId: string, stateServer: boolean, createdAt: string): string[] {
  const base = new Date(createdAt);
  const tag = machineTag(machineId);
  const lines: Array<[string, string, string]> = [
    ['INFO', 'juju.cmd supercommand.go:37', `running jujud [${TOOLS_VERSION} gc]`],
    ['DEBUG', 'juju.agent agent.go:425', `read agent config, format "1.18"`],
    ['INFO', 'juju.cmd.jujud machine.go:403', `machine agent ${tag} start (${TOOLS_VERSION} [gc])`],
    ['INFO', 'juju.worker runner.go:269', 'start "api"'],
    ['INFO', 'juju.api apiclient.go:331', `dialing "wss://10.23.0.10:17070/environment/…/api"`],
    ['INFO', 'juju.api apiclient.go:263', `connection established to "wss://10.23.0.10:17070/environment/…/api"`],
    ['INFO', 'juju.worker runner.go:269', 'start "upgrader"'],
    ['INFO', 'juju.worker.upgrader upgrader.go:157', `desired tool version: 1.25.6`],
    ['INFO', 'juju.worker runner.go:269', 'start "machiner"'],
    ['INFO', 'juju.worker.machiner machiner.go:100', `setting addresses for ${tag} to ["local-cloud:10.23.0.${10 + Number(machineId)}"]`],
    ['INFO', 'juju.worker runner.go:269', 'start "logger"'],
    ['INFO', 'juju.worker runner.go:269', 'start "rsyslog"'],
  ];
  if (stateServer) {
    lines.push(
      ['INFO', 'juju.worker runner.go:269', 'start "state"'],
      ['INFO', 'juju.mongo open.go:125', 'dialled mongo successfully on address "127.0.0.1:37017"'],
      ['INFO', 'juju.state open.go:81', 'opening state, mongo addresses: ["localhost:37017"]; entity machine-' + machineId],
      ['INFO', 'juju.worker runner.go:269', 'start "peergrouper"'],
      ['INFO', 'juju.worker.peergrouper worker.go:335', 'found new machine "0"'],
      ['INFO', 'juju.worker.peergrouper worker.go:335', 'found new machine "1"'],
      ['INFO', 'juju.worker.peergrouper worker.go:335', 'found new machine "2"'],
      ['INFO', 'juju.worker runner.go:269', 'start "apiserver"'],
      ['INFO', 'juju.apiserver apiserver.go:284', 'listening on "[::]:17070"'],
      ['INFO', 'juju.worker runner.go:269', 'start "certupdater"'],
      ['INFO', 'juju.worker runner.go:269', 'start "backups"'],
    );
  } else {
    lines.push(
      ['INFO', 'juju.worker runner.go:269', 'start "deployer"'],
      ['INFO', 'juju.worker.deployer deployer.go:146', 'checking unit deployments'],
    );
  }
  return lines.map(([level, module, msg], i) => `${stamp(base, 2 + i * 3)} ${level} ${module} ${msg}`);
}

export function unitLogLines(unitName: string, createdAt: string): string[] {
  const base = new Date(new Date(createdAt).getTime() + 120_000);
  const tag = `unit-${unitName.replace('/', '-')}`;
  return [
    ['INFO', 'juju.cmd supercommand.go:37', `running jujud [${TOOLS_VERSION} gc]`],
    ['INFO', 'juju.jujud unit.go:122', `unit agent ${tag} start (${TOOLS_VERSION} [gc])`],
    ['INFO', 'juju.worker.uniter uniter.go:174', `unit "${unitName}" started`],
    ['INFO', 'juju.worker.uniter.operation runhook.go:103', 'ran "install" hook'],
    ['INFO', 'juju.worker.uniter.operation runhook.go:103', 'ran "config-changed" hook'],
    ['INFO', 'juju.worker.uniter.operation runhook.go:103', 'ran "start" hook'],
  ].map(([level, module, msg], i) => `${stamp(base, i * 7)} ${level} ${module} ${msg}`);
}
