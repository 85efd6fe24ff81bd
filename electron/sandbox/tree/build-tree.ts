import fs from 'node:fs/promises';
import path from 'node:path';
import {
  TOOLS_VERSION,
  isStateServer,
  machineTag,
  unitTag,
  type EnvironmentRecord,
  type MachineRecord,
  type UnitRecord,
} from '../model';
import { machineAgentConf, unitAgentConf, type EnvironmentSecrets } from './agent-conf';
import { downloadedTools, jujudBinary, machineLogLines, unitLogLines } from './filler';
import { renderUpstartJob } from '../../../shared/juju/upstart-job';

/**
 * Writes one machine's filesystem tree with Juju 1.25's layout (the files
 * `backups create` collects, §1.2 of the facts, plus what a restore and a
 * curious operator expect to find). Real files on disk, modes as Juju sets
 * them; secrets only in 0600 files.
 */

export interface TreeKeys extends EnvironmentSecrets {
  /** Lines for `/home/ubuntu/.ssh/authorized_keys`: the environment key and the system identity's key. */
  readonly authorizedKeys: string;
}

class TreeWriter {
  constructor(readonly root: string) {}

  host(remote: string): string {
    return path.join(this.root, ...remote.split('/').filter(Boolean));
  }

  async dir(remote: string, mode = 0o755): Promise<void> {
    await fs.mkdir(this.host(remote), { recursive: true, mode });
    await fs.chmod(this.host(remote), mode);
  }

  async file(remote: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const file = this.host(remote);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await fs.writeFile(file, content, { mode });
    await fs.chmod(file, mode);
  }

  async symlink(remote: string, target: string): Promise<void> {
    const file = this.host(remote);
    await fs.rm(file, { force: true });
    await fs.symlink(target, file);
  }
}

export function unitsOn(env: EnvironmentRecord, machineId: string): UnitRecord[] {
  return env.services.flatMap((s) => s.units.filter((u) => u.machineId === machineId));
}


const MONGOD_ARGS =
  '/usr/lib/juju/bin/mongod --auth --dbpath /var/lib/juju/db --sslOnNormalPorts --sslPEMKeyFile /var/lib/juju/server.pem ' +
  '--sslPEMKeyPassword ignored --port 37017 --noprealloc --syslog --smallfiles --journal --keyFile /var/lib/juju/shared-secret ' +
  '--replSet juju --ipv6 --oplogSize 1024';

function rsyslogConf(machine: MachineRecord, env: EnvironmentRecord): string {
  if (isStateServer(machine)) {
    return `
$ModLoad imuxsock
$ModLoad imfile

# Messages received from remote rsyslog machines have messages prefixed with a space,
# so add one in for local messages too if needed.
$template JujuLogFormat,"%syslogtag:6:$%%msg:::sp-if-no-1st-sp%%msg:::drop-last-lf%\\n"

$FileCreateMode 0600
$ModLoad imtcp
$DefaultNetstreamDriver gtls
$DefaultNetstreamDriverCAFile /var/log/juju/ca-cert.pem
$DefaultNetstreamDriverCertFile /var/log/juju/rsyslog-cert.pem
$DefaultNetstreamDriverKeyFile /var/log/juju/rsyslog-key.pem
$InputTCPServerStreamDriverAuthMode anon
$InputTCPServerStreamDriverMode 1 # run in secure mode
$InputTCPServerRun 6514

$template LongTagForwardFormat,"<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg%"

:syslogtag, startswith, "juju-" /var/log/juju/all-machines.log;JujuLogFormat
& stop
$FileCreateMode 0640
`;
  }
  const targets = env.machines.filter(isStateServer).map((m) => `:syslogtag, startswith, "juju-" @@${m.address}:6514;LongTagForwardFormat`);
  return `
$ModLoad imuxsock
$ModLoad imfile

$template LongTagForwardFormat,"<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag%%msg:::sp-if-no-1st-sp%%msg%"

$DefaultNetstreamDriver gtls
$DefaultNetstreamDriverCAFile /var/log/juju/ca-cert.pem
$ActionSendStreamDriverAuthMode anon
$ActionSendStreamDriverMode 1 # run in secure mode

${targets.join('\n')}
& stop
`;
}

export async function buildMachineTree(root: string, env: EnvironmentRecord, machine: MachineRecord, keys: TreeKeys): Promise<void> {
  const w = new TreeWriter(root);
  const tag = machineTag(machine.id);
  const server = isStateServer(machine);
  const units = unitsOn(env, machine.id);

  await w.dir('/', 0o755);
  await w.file('/etc/hostname', `juju-${env.name}-${tag}\n`);
  await w.file('/etc/lsb-release', 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=14.04\nDISTRIB_CODENAME=trusty\nDISTRIB_DESCRIPTION="Ubuntu 14.04.5 LTS"\n');
  await w.dir('/var/lib/juju', 0o755);
  await w.dir('/var/lib/juju/locks', 0o755);
  await w.dir('/var/lib/juju/storage', 0o755);
  await w.dir('/var/lib/juju/metricspool', 0o755);
  await w.file('/var/lib/juju/nonce.txt', `${machine.nonce}\n`, 0o644);

  // Agent binaries: one versioned dir, a symlink per agent (relative, inside the tree).
  const binary = jujudBinary();
  await w.file(`/var/lib/juju/tools/${TOOLS_VERSION}/jujud`, binary, 0o755);
  await w.file(`/var/lib/juju/tools/${TOOLS_VERSION}/downloaded-tools.txt`, downloadedTools(binary), 0o644);
  await w.symlink(`/var/lib/juju/tools/${tag}`, TOOLS_VERSION);
  for (const u of units) await w.symlink(`/var/lib/juju/tools/${unitTag(u.name)}`, TOOLS_VERSION);

  await w.dir('/var/lib/juju/agents', 0o755);
  await w.dir(`/var/lib/juju/agents/${tag}`, 0o755);
  await w.file(`/var/lib/juju/agents/${tag}/agent.conf`, machineAgentConf(env, machine, keys), 0o600);

  // Service definitions (1.25's service package) and trusty's upstart jobs.
  const jujudExec = `/var/lib/juju/tools/${tag}/jujud machine --data-dir '/var/lib/juju' --machine-id ${machine.id} --debug`;
  await w.file(`/var/lib/juju/init/jujud-${tag}/exec-start.sh`, `#!/usr/bin/env bash\n\n${jujudExec}\n`, 0o755);
  await w.file(`/etc/init/jujud-${tag}.conf`, renderUpstartJob(`juju agent for ${tag}`, jujudExec, tag));
  if (server) {
    await w.file('/var/lib/juju/server.pem', `${keys.serverCertPem.trim()}\n${keys.serverKeyPem.trim()}\n`, 0o600);
    await w.file('/var/lib/juju/shared-secret', env.sharedSecret, 0o600);
    await w.file('/var/lib/juju/system-identity', keys.systemIdentity, 0o600);
    await w.dir('/var/lib/juju/db', 0o700);
    await w.file('/var/lib/juju/init/juju-db/exec-start.sh', `#!/usr/bin/env bash\n\n${MONGOD_ARGS}\n`, 0o755);
    await w.file('/etc/init/juju-db.conf', renderUpstartJob('juju state database', MONGOD_ARGS));
  }

  await w.file('/etc/rsyslog.d/25-juju.conf', rsyslogConf(machine, env));
  await w.dir('/var/log/juju', 0o755);
  const machineLog = machineLogLines(machine.id, server, machine.createdAt);
  await w.file(`/var/log/juju/${tag}.log`, `${machineLog.join('\n')}\n`, 0o600);
  await w.file('/var/log/juju/ca-cert.pem', keys.caCertPem, 0o644);
  if (server) {
    const all = env.machines.flatMap((m) => machineLogLines(m.id, isStateServer(m), m.createdAt).map((l) => `${machineTag(m.id)}: ${l}`));
    await w.file('/var/log/juju/all-machines.log', `${all.sort((a, b) => a.slice(a.indexOf(' ')).localeCompare(b.slice(b.indexOf(' ')))).join('\n')}\n`, 0o640);
  }

  await w.dir('/home/ubuntu', 0o755);
  await w.dir('/home/ubuntu/.ssh', 0o700);
  await w.file('/home/ubuntu/.ssh/authorized_keys', keys.authorizedKeys, 0o600);

  for (const u of units) await buildUnitAgent(w, env, u, keys.caCertPem);
}

async function buildUnitAgent(w: TreeWriter, env: EnvironmentRecord, unit: UnitRecord, caCertPem: string): Promise<void> {
  const tag = unitTag(unit.name);
  const [svc] = unit.name.split('/');
  const service = env.services.find((s) => s.name === svc)!;
  const base = `/var/lib/juju/agents/${tag}`;
  await w.file(`${base}/agent.conf`, unitAgentConf(env, unit, caCertPem), 0o600);
  await w.file(`${base}/charm/metadata.yaml`, `name: ${svc}\nsummary: ${svc} (sandbox charm)\ndescription: Deployed by the Quorum sandbox.\n`);
  await w.file(`${base}/charm/revision`, `${service.charmUrl.split('-').pop()}\n`);
  await w.file(`${base}/charm/.juju-charm`, `${service.charmUrl}\n`);
  await w.file(`${base}/state/uniter`, 'leader: false\nop: continue\nopstep: done\nstarted: true\n', 0o600);
  // Relation state: wordpress:db <-> mysql:db is relation 0.
  const peer = svc === 'mysql' ? 'wordpress' : 'mysql';
  const peerUnits = env.services.find((s) => s.name === peer)?.units ?? [];
  await w.dir(`${base}/state/relations/0`, 0o755);
  for (const p of peerUnits) {
    await w.file(`${base}/state/relations/0/${p.name.replace('/', '-')}`, 'change-version: 2\nchanged-pending: false\n', 0o644);
  }
  const jujud = `/var/lib/juju/tools/${tag}/jujud unit --data-dir '/var/lib/juju' --unit-name ${unit.name} --debug`;
  await w.file(`/var/lib/juju/init/jujud-${tag}/exec-start.sh`, `#!/usr/bin/env bash\n\n${jujud}\n`, 0o755);
  await w.file(`/etc/init/jujud-${tag}.conf`, renderUpstartJob(`juju unit agent for ${unit.name}`, jujud, tag));
  await w.file(`/var/log/juju/${tag}.log`, `${unitLogLines(unit.name, env.createdAt).join('\n')}\n`, 0o600);
}
