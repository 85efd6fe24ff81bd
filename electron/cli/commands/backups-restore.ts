import path from 'node:path';
import { QuorumError } from '../../../shared/errors';
import type { ArchiveRef, RestoreResult, RestoreRun, RestoreTarget } from '../../../shared/ipc/channels/restore';
import { SANDBOX_ID } from '../../services/environments/environment-service';
import { bool, int, str } from '../args';
import { defineCommand, environmentFlag } from '../context';
import { checkEmpty, CommandError, UsageError } from '../errors';
import { awaitOperation } from '../operation';
import { progressSink } from '../progress';
import { findRunningSandbox } from '../sandbox-attach';
import { formatChecklist, refusal, RunPrinter } from '../restore-report';

interface RestoreOptions {
  readonly environment: string | undefined;
  readonly file: string | undefined;
  readonly id: string | undefined;
  readonly bootstrap: boolean;
  readonly to: string | undefined;
  readonly sshPort: number | undefined;
  readonly confirmEnvironment: string | undefined;
  readonly allowOtherEnvironment: boolean;
}

/** Juju 1.25's `Init` refusals, word for word (`cmd/juju/backups/restore.go`). */
export const NEITHER = 'you must specify either a file or a backup id.';
export const BOTH = 'you must specify either a file or a backup id but not both.';
export const BOOTSTRAP_WITH_ID = 'it is not possible to rebootstrap and restore from an id.';

const ADDRESS = /^[A-Za-z0-9.:\-[\]]+$/;

/**
 * `juju backups restore [-e ENV] (--file F | --id ID) [-b]` (1.25) through
 * the console's restore: the same checklist (printed, and refusing as the
 * Restore page refuses), then the run onto a replacement state server with
 * every step printed on stderr under the seed's log lines, then Juju's
 * `restore from "<file-or-id>" completed` on stdout.
 */
export const backupsRestore = defineCommand<RestoreOptions>({
  path: ['backups', 'restore'],
  args: '',
  purpose: 'restore from a backup archive to a new state server',
  doc: `Restores a backup that was previously created with "juju backups create"
or "quorum backups create".

This command does not restore an existing server to a previous state: as
"juju backups restore -b" does, it brings up a replacement state server for
the backup's machine and arranges for it to replace the previous one; all
known machines are then pointed at it ("updating all machines"). The
environment is left with one state server: run ensure-availability to get
redundancy back, and take a new backup.

The replacement is, in the sandbox, a fresh machine Quorum starts; in any
other environment, a host you bootstrapped with the backup's Juju version,
named with --to (Quorum does not create cloud instances). -b is accepted
for Juju's scripts: Quorum always restores onto a replacement.

Before anything changes, the same checks as the console's Restore page run
and are printed: the archive is restorable, it belongs to this environment
(--allow-other-environment otherwise), the backup's machine is down, the
replacement answers with the backup's Juju version, mongorestore and room
to spare, and no state server still has a vote (--confirm-environment
<name> to go ahead anyway: restore then takes the remaining ones offline,
stopping their agent and juju-db and keeping them from starting at boot).

--id restores a backup stored on the state servers (downloaded from one
that still answers, SHA-1 checked). Ctrl-C cancels until the point of no
return ("updating bootstrap machine"); after it, the restore runs to its end.`,
  flags: [
    environmentFlag,
    { key: 'file', names: ['file'], kind: 'string', placeholder: 'FILE', usage: 'provide a file to be used as the backup.' },
    { key: 'id', names: ['id'], kind: 'string', placeholder: 'ID', usage: 'provide the name of the backup to be restored.' },
    { key: 'bootstrap', names: ['b'], kind: 'bool', usage: 'bootstrap a new state machine (Quorum always restores onto a new one)' },
    { key: 'to', names: ['to'], kind: 'string', placeholder: 'ADDRESS', usage: 'the freshly bootstrapped host to restore onto (outside the sandbox: required)' },
    { key: 'sshPort', names: ['ssh-port'], kind: 'int', placeholder: 'PORT', usage: "SSH port of the --to host (default: the environment's, 22 for a .jenv)" },
    { key: 'confirmEnvironment', names: ['confirm-environment'], kind: 'string', placeholder: 'NAME', usage: 'the environment name, to restore while a state server still has a vote' },
    { key: 'allowOtherEnvironment', names: ['allow-other-environment'], kind: 'bool', usage: "restore an archive whose environment UUID is not this environment's" },
  ],
  init(parsed) {
    checkEmpty(parsed.positionals);
    const file = str(parsed, 'file') || undefined;
    const id = str(parsed, 'id') || undefined;
    const bootstrap = bool(parsed, 'bootstrap');
    if (file === undefined && id === undefined) throw new UsageError(NEITHER);
    if (file !== undefined && id !== undefined) throw new UsageError(BOTH);
    if (id !== undefined && bootstrap) throw new UsageError(BOOTSTRAP_WITH_ID);
    const to = str(parsed, 'to');
    if (to !== undefined && !ADDRESS.test(to)) throw new UsageError(`invalid value ${JSON.stringify(to)} for flag --to: an IP address or host name`);
    const sshPort = int(parsed, 'sshPort');
    if (sshPort !== undefined && (sshPort < 1 || sshPort > 65535)) throw new UsageError(`invalid value "${sshPort}" for flag --ssh-port: a port from 1 to 65535`);
    if (sshPort !== undefined && to === undefined) throw new UsageError('--ssh-port needs --to');
    return {
      environment: str(parsed, 'environment'),
      file,
      id,
      bootstrap,
      to,
      sshPort,
      confirmEnvironment: str(parsed, 'confirmEnvironment'),
      allowOtherEnvironment: bool(parsed, 'allowOtherEnvironment'),
    };
  },
  async run(ctx, o) {
    const environmentId = await ctx.environmentId(o.environment);
    let target: RestoreTarget;
    if (o.to !== undefined) target = { kind: 'host', address: o.to, ...(o.sshPort === undefined ? {} : { sshPort: o.sshPort }) };
    else if (environmentId === SANDBOX_ID) target = { kind: 'sandbox' };
    else {
      throw new CommandError(
        'Quorum does not create cloud instances: bootstrap the replacement state server with the backup\'s Juju version, then name it with --to ADDRESS (and --ssh-port if not 22)',
      );
    }
    const file = o.file === undefined ? undefined : path.resolve(ctx.io.cwd, o.file);
    const archive: ArchiveRef = file !== undefined ? { localPath: file } : { environmentId, backupId: o.id! };
    const confirmations = {
      ...(o.confirmEnvironment === undefined ? {} : { typedEnvironmentName: o.confirmEnvironment }),
      ...(o.allowOtherEnvironment ? { differentEnvironment: true } : {}),
    };
    const services = ctx.services();
    if (target.kind === 'sandbox') {
      // The replacement is a machine the sandbox starts: only the process that runs the sandbox can.
      const other = await findRunningSandbox(services.home);
      if (other !== null) {
        throw new CommandError(
          `the sandbox is run by another process (the console or npm run sandbox, pid ${other.ownerPid}), so this command cannot start the replacement machine: restore from the console's Restore page, or close it and run the command again`,
        );
      }
    }
    const checks = await services.restore.precheck(environmentId, archive, target, confirmations);
    ctx.io.stderr.write(formatChecklist(checks));
    if (!checks.canStart) throw new CommandError(`cannot restore: ${refusal(checks)}`);

    const { operationId } = await services.restore.start(environmentId, archive, target, confirmations);
    const sink = progressSink(ctx.io, false);
    const printer = new RunPrinter();
    const print = (run: RestoreRun) => {
      const lines = printer.next(run);
      if (lines.length === 0) return;
      sink.done();
      ctx.io.stderr.write(lines.map((l) => `${l}\n`).join(''));
    };
    const unsubscribe = services.events.subscribe((message) => {
      if (message.event !== 'restore.progress') return;
      const run = message.payload as RestoreRun;
      if (run.operationId === operationId) print(run);
    });
    let result: RestoreResult;
    try {
      result = await awaitOperation<RestoreResult>(services, operationId, sink);
    } catch (error) {
      if (error instanceof QuorumError && error.code === 'cancelled') throw new CommandError('restore interrupted before the point of no return; the replacement holds nothing of the backup yet');
      throw error;
    } finally {
      unsubscribe();
      print(services.restore.result(operationId).run);
    }
    ctx.io.stdout.write(`restore from ${JSON.stringify(file ?? o.id)} completed\n`);
    const failed = result.updates.filter((u) => u.state === 'failed');
    for (const row of failed) {
      ctx.io.stderr.write(
        `WARNING machine ${row.machineId} was not updated (${row.reason ?? 'no reason given'}): its agents still point at the old state server. ` +
          `Once it is up, set the first stateaddresses and apiaddresses entry in each /var/lib/juju/agents/*/agent.conf on it to ${result.targetAddress} (port kept) and restart those agents, as Juju's restore does.\n`,
      );
    }
    ctx.io.stderr.write(`${result.sentence}\n`);
    return 0;
  },
});
