import type { PrecheckItem, PrecheckResult } from '../../../shared/ipc/channels/restore';

/**
 * The restore checklist as a pure judgement over facts gathered elsewhere
 * (restore-service.ts probes SSH, juju-db and the target), so every rule is
 * unit-tested and the Restore page and `restore.start` judge the same way.
 *
 * Rules (issue 10, reference §2.1–2.2): the archive must be restorable by
 * Juju's version rules; it must belong to this environment unless the
 * operator confirms otherwise; the backup's origin machine must be down —
 * SSH *and* juju-db — else Juju's own refusal; the replacement must answer,
 * run the backup's Juju version, have a mongorestore and room for the
 * archive plus its extraction; a state server that still has a vote makes
 * the operator type the environment name (the seed: "restore will take them
 * off").
 */

/** Juju 1.25's refusal, word for word (`cmd/juju/backups/restore.go`). */
export function oldInstanceStillExists(instanceId: string): string {
  return `old bootstrap instance "${instanceId}" still seems to exist; will not replace`;
}

export interface PrecheckFacts {
  readonly verdict: { readonly allowed: boolean; readonly reason: string };
  readonly archiveEnvironmentUuid: string | null;
  readonly environmentUuid: string | null;
  readonly environmentName: string;
  readonly originMachineId: string;
  /** Instance id of the origin machine as Juju recorded it (for Juju's words), else the machine id. */
  readonly originInstanceId: string | null;
  /** null: not probed (no address known). */
  readonly originSshUp: boolean | null;
  readonly originJujuDbUp: boolean | null;
  readonly target: {
    readonly kind: 'sandbox' | 'host';
    readonly address: string | null;
    /** null: not probed yet (a sandbox replacement is made at start). */
    readonly reachable: boolean | null;
    readonly error: string | null;
    readonly toolsVersions: readonly string[];
    readonly mongorestore: string | null;
    readonly freeBytes: number | null;
  };
  readonly backupVersion: string | null;
  /** Archive bytes plus its extraction (gzip's uncompressed size plus root.tar placed). */
  readonly neededBytes: number;
  /** State servers whose juju-db answers and that hold a vote. */
  readonly votingUp: readonly string[];
  readonly confirmations: { readonly differentEnvironment?: boolean | undefined; readonly typedEnvironmentName?: string | undefined };
}

type Item = PrecheckItem;
const item = (id: Item['id'], title: string, state: Item['state'], why: string, needs: Item['needs'] = null): Item => ({ id, title, state, why, needs });

/** `1.25.6-trusty-amd64` → `1.25.6`. */
export function versionNumber(text: string): string {
  return /^(\d+\.\d+(?:[.-][a-z]*\d+)?(?:\.\d+)?)/.exec(text.trim())?.[1] ?? text.trim();
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

export function judgePrechecks(f: PrecheckFacts): PrecheckResult {
  const items: Item[] = [];
  items.push(item('archive', 'The archive can be restored', f.verdict.allowed ? 'pass' : 'fail', f.verdict.reason));

  if (f.archiveEnvironmentUuid === null || f.environmentUuid === null) {
    items.push(item('environment', 'The archive belongs to this environment', 'warn', 'The environment UUID is not known on one side; check the archive is the right one.'));
  } else if (f.archiveEnvironmentUuid === f.environmentUuid) {
    items.push(item('environment', 'The archive belongs to this environment', 'pass', `Both are environment ${f.environmentUuid}.`));
  } else {
    const why = `The archive is from environment ${f.archiveEnvironmentUuid}, not ${f.environmentName} (${f.environmentUuid}).`;
    items.push(
      f.confirmations.differentEnvironment
        ? item('environment', 'The archive belongs to this environment', 'warn', `${why} You confirmed restoring it anyway.`)
        : item('environment', 'The archive belongs to this environment', 'fail', `${why} Confirm explicitly to restore it here.`, 'different-environment'),
    );
  }

  const instance = f.originInstanceId ?? f.originMachineId;
  if (f.originSshUp === true || f.originJujuDbUp === true) {
    const what = [f.originSshUp ? 'SSH' : null, f.originJujuDbUp ? 'juju-db' : null].filter(Boolean).join(' and ');
    items.push(item('origin-down', `The initial state server (machine ${f.originMachineId}) is not up`, 'fail', `${oldInstanceStillExists(instance)} (its ${what} still answers).`));
  } else if (f.originSshUp === null && f.originJujuDbUp === null) {
    items.push(item('origin-down', `The initial state server (machine ${f.originMachineId}) is not up`, 'warn', `Quorum knows no address for machine ${f.originMachineId}; make sure instance "${instance}" is gone.`));
  } else {
    items.push(item('origin-down', `The initial state server (machine ${f.originMachineId}) is not up`, 'pass', `Neither SSH nor juju-db answers on machine ${f.originMachineId}.`));
  }

  const t = f.target;
  const where = t.kind === 'sandbox' ? 'the sandbox replacement' : (t.address ?? 'the replacement host');
  if (t.reachable === null) {
    const why = t.kind === 'sandbox' ? `The sandbox starts a fresh machine ${f.originMachineId} when the restore begins; it is checked then.` : 'Name the freshly bootstrapped host.';
    const state = t.kind === 'sandbox' ? 'pending' : 'fail';
    items.push(item('target-reachable', 'The replacement state server answers', state, why));
    items.push(item('target-version', 'It runs the backup\'s Juju version', state, 'Checked on the replacement.'));
    items.push(item('target-tools', 'It has mongorestore', state, 'Checked on the replacement.'));
    items.push(item('target-space', 'It has room for the archive and its extraction', state, `Needs about ${mib(f.neededBytes)}.`));
  } else if (!t.reachable) {
    items.push(item('target-reachable', 'The replacement state server answers', 'fail', `Cannot reach ${where}: ${t.error ?? 'no answer'}.`));
    for (const [id, title] of [['target-version', "It runs the backup's Juju version"], ['target-tools', 'It has mongorestore'], ['target-space', 'It has room for the archive and its extraction']] as const) {
      items.push(item(id, title, 'pending', 'Not checked: the replacement does not answer.'));
    }
  } else {
    items.push(item('target-reachable', 'The replacement state server answers', 'pass', `${where} answers over SSH.`));
    const want = f.backupVersion === null ? null : versionNumber(f.backupVersion);
    const have = [...new Set(t.toolsVersions.map(versionNumber))];
    if (want === null) items.push(item('target-version', "It runs the backup's Juju version", 'warn', `The backup records no version; ${where} runs ${have.join(', ') || 'no Juju tools'}.`));
    else if (have.includes(want)) items.push(item('target-version', "It runs the backup's Juju version", 'pass', `Juju ${want} on both.`));
    else items.push(item('target-version', "It runs the backup's Juju version", 'fail', `The backup is from Juju ${want}; ${where} has ${have.length ? `Juju ${have.join(', ')}` : 'no Juju tools (downloaded-tools.txt)'}. Bootstrap the replacement with ${want}.`));
    items.push(
      t.mongorestore
        ? item('target-tools', 'It has mongorestore', 'pass', `${t.mongorestore}.`)
        : item('target-tools', 'It has mongorestore', 'fail', `No mongorestore on ${where} (/usr/lib/juju/bin/mongorestore or on PATH); install juju-mongodb tools.`),
    );
    if (t.freeBytes === null) items.push(item('target-space', 'It has room for the archive and its extraction', 'warn', 'Free space could not be read.'));
    else if (t.freeBytes >= f.neededBytes) items.push(item('target-space', 'It has room for the archive and its extraction', 'pass', `${mib(t.freeBytes)} free, about ${mib(f.neededBytes)} needed.`));
    else items.push(item('target-space', 'It has room for the archive and its extraction', 'fail', `Only ${mib(t.freeBytes)} free on ${where}; the archive and its extraction need about ${mib(f.neededBytes)}.`));
  }

  if (f.votingUp.length === 0) {
    items.push(item('votes', 'No state server still has a vote', 'pass', 'No state server answers with a vote: a restore is the way back.'));
  } else {
    const who = `machine${f.votingUp.length > 1 ? 's' : ''} ${f.votingUp.join(', ')}`;
    const why = `State server ${who} still ha${f.votingUp.length > 1 ? 've' : 's'} a vote. Restore takes the remaining ones offline (their agent and juju-db stopped, not started at boot); if a majority is still up, ensure-availability is enough.`;
    items.push(
      f.confirmations.typedEnvironmentName === f.environmentName
        ? item('votes', 'No state server still has a vote', 'warn', `${why} You typed the environment name to go ahead.`)
        : item('votes', 'No state server still has a vote', 'fail', `${why} Type the environment name (${f.environmentName}) to go ahead.`, 'typed-environment-name'),
    );
  }

  return {
    items,
    canStart: items.every((i) => i.state === 'pass' || i.state === 'warn' || (i.state === 'pending' && t.kind === 'sandbox')),
    environmentName: f.environmentName,
    originMachineId: f.originMachineId,
    targetAddress: t.address,
  };
}
