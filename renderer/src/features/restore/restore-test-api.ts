import { act } from '@testing-library/react';
import type { SerializedError } from '../../../../shared/errors';
import type { BackupListItem } from '../../../../shared/ipc/channels/backups';
import type { HaPreview } from '../../../../shared/ipc/channels/ha';
import {
  RESTORE_STEP_IDS,
  RESTORE_STEP_TITLES,
  type MachineUpdateRow,
  type PrecheckItem,
  type PrecheckResult,
  type RestoreInspectResult,
  type RestoreResult,
  type RestoreRun,
  type RestoreStepId,
  type RestoreStepView,
} from '../../../../shared/ipc/channels/restore';
import { requests, type QuorumApi, type RequestChannel, type RequestOf } from '../../../../shared/ipc/contract';
import type { OperationSnapshot } from '../../../../shared/ipc/operations';
import { createFakeApi, type FakeApi } from '../../testing/fake-api';

/**
 * A fake restore service for the Restore page's tests: answers the
 * `restore.*` channels from data the test sets, stages dropped files like
 * the bridge (`stageFile`), and pushes `restore.progress` and the
 * operations' terminal snapshots on demand, as main does.
 */

export const UUID = 'f41b1639-09b3-4eb7-8fbf-0927558cdf44';
export const STAGED = '/quorum-home/staging/0b1d-juju-backup-20250615-150640.tar.gz';

export function inspectResult(overrides: { allowed?: boolean; reason?: string; checksum?: RestoreInspectResult['checksum'] } = {}): RestoreInspectResult {
  const allowed = overrides.allowed ?? true;
  return {
    localPath: STAGED,
    inspection: {
      file: STAGED,
      fileName: 'juju-backup-20250615-150640.tar.gz',
      size: 1_572_864,
      checksum: 'n3Ez0Jm0r5c2pWQ9hq4u1B7dM4s=',
      expectedChecksum: 'n3Ez0Jm0r5c2pWQ9hq4u1B7dM4s=',
      gzip: { compressedBytes: 1_572_864, uncompressedBytes: 9_437_184 },
      layout: { metadataJson: true, rootTar: true, dump: true, otherMembers: [] },
      metadata: {
        id: `20250615-150640.${UUID}`,
        checksum: '',
        checksumFormat: 'SHA-1, base64 encoded',
        size: 0,
        stored: null,
        started: '2025-06-15T15:06:40.000Z',
        finished: null,
        notes: 'before upgrade',
        environment: UUID,
        machine: '0',
        hostname: 'juju-sandbox-machine-0',
        version: '1.25.6',
      },
      metadataExtraKeys: [],
      backupId: `20250615-150640.${UUID}`,
      rootTar: {
        files: [
          { path: 'var/lib/juju/agents/machine-0/agent.conf', type: 'File', size: 2048 },
          { path: 'var/lib/juju/server.pem', type: 'File', size: 1704 },
          { path: 'var/lib/juju/nonce.txt', type: 'File', size: 12 },
        ],
        fileCount: 3,
        listLimit: 5000,
        bytes: 3764,
        agentConfs: ['var/lib/juju/agents/machine-0/agent.conf'],
      },
      dump: {
        databases: [
          {
            name: 'juju',
            documents: 57,
            bytes: 40_960,
            collections: [
              { name: 'machines', documents: 5, bytes: 4096, hasBson: true, metadataFlavour: 'mongodump-2.4', indexes: 1, capped: false },
              { name: 'units', documents: 52, bytes: 36_864, hasBson: true, metadataFlavour: 'mongodump-2.4', indexes: 2, capped: false },
            ],
          },
          { name: 'admin', documents: 1, bytes: 512, collections: [{ name: 'system.users', documents: 1, bytes: 512, hasBson: true, metadataFlavour: 'mongodump-2.4', indexes: 1, capped: false }] },
        ],
        documents: 58,
        bytes: 41_472,
        flavours: { 'mongodump-2.4': 3 },
      },
      oplog: {
        documents: 4,
        bytes: 800,
        first: { seconds: 1_750_000_000, increment: 1, iso: '2025-06-15T15:06:40.000Z' },
        last: { seconds: 1_750_000_130, increment: 2, iso: '2025-06-15T15:08:50.000Z' },
      },
    },
    verdict: allowed
      ? {
          allowed: true,
          path: 'oplog-replay',
          version: { major: 1, minor: 25, patch: 6, tag: '', build: 0, exact: true, text: '1.25.6' },
          mongorestoreArgs: ['--drop', '--journal', '--oplogReplay', '--dbpath', '/var/lib/juju/db'],
          reason: overrides.reason ?? 'Juju 1.25 (minor ≥ 22) restores with --oplogReplay.',
          jujuError: null,
          warnings: [],
        }
      : { allowed: false, path: null, version: null, mongorestoreArgs: null, reason: overrides.reason ?? 'This archive has no metadata.json.', jujuError: 'cannot restore this backup version', warnings: [] },
    checksum: overrides.checksum ?? { state: 'verified', expected: 'n3Ez0Jm0r5c2pWQ9hq4u1B7dM4s=', source: 'library' },
  };
}

export function check(id: PrecheckItem['id'], state: PrecheckItem['state'], why: string, needs: PrecheckItem['needs'] = null): PrecheckItem {
  const titles: Record<PrecheckItem['id'], string> = {
    archive: 'The archive can be restored',
    environment: 'The archive belongs to this environment',
    'origin-down': 'The initial state server (machine 0) is not up',
    'target-reachable': 'The replacement state server answers',
    'target-version': "It runs the backup's Juju version",
    'target-tools': 'It has mongorestore',
    'target-space': 'It has room for the archive and its extraction',
    votes: 'No state server still has a vote',
  };
  return { id, title: titles[id], state, why, needs };
}

export function precheckOf(items: PrecheckItem[]): PrecheckResult {
  return {
    items,
    canStart: items.every((i) => i.state !== 'fail'),
    environmentName: 'sandbox',
    originMachineId: '0',
    targetAddress: null,
  };
}

export const PASSING: PrecheckResult = precheckOf([
  check('archive', 'pass', 'Juju 1.25 (minor ≥ 22) restores with --oplogReplay.'),
  check('environment', 'pass', `Both are environment ${UUID}.`),
  check('origin-down', 'pass', 'Neither SSH nor juju-db answers on machine 0.'),
  check('target-reachable', 'pending', 'The sandbox starts a fresh machine 0 when the restore begins; it is checked then.'),
  check('votes', 'pass', 'No state server answers with a vote: a restore is the way back.'),
]);

export function step(id: RestoreStepId, state: RestoreStepView['state'], extra: Partial<RestoreStepView> = {}): RestoreStepView {
  return { id, title: RESTORE_STEP_TITLES[id], state, startedAt: null, durationMs: null, bytes: null, totalBytes: null, log: [], error: null, ...extra };
}

export function runOf(operationId: string, states: Partial<Record<RestoreStepId, RestoreStepView>>, extra: Partial<RestoreRun> = {}): RestoreRun {
  return {
    operationId,
    environmentId: 'sandbox',
    mode: 'restore',
    state: 'running',
    steps: RESTORE_STEP_IDS.map((id) => states[id] ?? step(id, 'pending')),
    pointOfNoReturn: { stepId: 'update-bootstrap', description: 'When /var/lib/juju, its db and /var/log/juju are recreated on the replacement.', passed: false },
    cancellable: true,
    restoreStatus: null,
    targetAddress: null,
    machineId: '0',
    machines: [],
    error: null,
    ...extra,
  };
}

export function row(machineId: string, state: MachineUpdateRow['state'], extra: Partial<MachineUpdateRow> = {}): MachineUpdateRow {
  return {
    machineId,
    address: `10.23.0.${10 + Number(machineId)}`,
    state,
    agents: [`machine-${machineId}`],
    message: state === 'succeeded' ? `Succesful update of machine "${machineId}"` : null,
    reason: null,
    attempts: 1,
    ...extra,
  };
}

export function resultOf(mode: RestoreResult['mode'] = 'restore', updates: MachineUpdateRow[] = [row('1', 'succeeded')]): RestoreResult {
  const server = { machineId: '0', address: '10.23.0.20', isStateServer: true, hasVote: true, agentState: 'started', life: 'alive' };
  return {
    environmentId: 'sandbox',
    mode,
    machineId: '0',
    targetAddress: '10.23.0.20',
    restoreStatus: 'CHECKED',
    stateServers: [server],
    machines: [server, { machineId: '1', address: '10.23.0.11', isStateServer: false, hasVote: false, agentState: 'started', life: 'alive' }],
    updates,
    durationMs: 42_000,
    sentence: 'Restored machine 0 from the backup of 2025-06-15 15:06:40 UTC; 1 machine updated.',
  };
}

export interface RestoreTestApi extends QuorumApi {
  readonly calls: { channel: RequestChannel; request: unknown }[];
  readonly base: FakeApi;
  readonly staged: File[];
  stageFile(file: File, onProgress?: (sent: number, total: number) => void): Promise<{ localPath: string }>;
  setPrecheck(answer: (request: RequestOf<'restore.precheck'>) => PrecheckResult): void;
  setRetryAnswer(answer: MachineUpdateRow | SerializedError): void;
  setBackups(items: BackupListItem[]): void;
  setHaPreview(preview: HaPreview): void;
  /** Ends an operation as main does (`operation.finished`). */
  finish(operationId: string, state: OperationSnapshot['state'], result?: unknown, error?: SerializedError): void;
  /** Pushes `restore.progress`. */
  progress(run: RestoreRun): void;
  callsTo(channel: RequestChannel): unknown[];
  setResultAnswer(answer: { run: RestoreRun; result: RestoreResult | null }): void;
  /** The next call to `channel` answers with this error instead. */
  failNext(channel: RequestChannel, error: SerializedError): void;
}

export function restoreApi(): RestoreTestApi {
  const base = createFakeApi();
  const calls: RestoreTestApi['calls'] = [];
  const staged: File[] = [];
  let precheck: (r: RequestOf<'restore.precheck'>) => PrecheckResult = () => PASSING;
  let retry: MachineUpdateRow | SerializedError = row('2', 'succeeded', { attempts: 2 });
  let backups: BackupListItem[] = [];
  let haPreview: HaPreview | null = null;
  let resultAnswer: { run: RestoreRun; result: RestoreResult | null } | null = null;
  const ok = (value: unknown) => ({ ok: true, value }) as never;
  const failures = new Map<RequestChannel, SerializedError>();
  let starts = 0;

  const api: RestoreTestApi = {
    calls,
    base,
    staged,
    async stageFile(file) {
      staged.push(file);
      return { localPath: STAGED };
    },
    setPrecheck: (answer) => (precheck = answer),
    setRetryAnswer: (answer) => (retry = answer),
    setBackups: (items) => (backups = items),
    setHaPreview: (preview) => (haPreview = preview),
    finish(operationId, state, result, error) {
      const snapshot: OperationSnapshot = {
        id: operationId,
        kind: 'restore',
        environmentId: 'sandbox',
        title: 'Restore',
        state,
        startedAt: '2025-06-15T15:10:00.000Z',
        finishedAt: '2025-06-15T15:11:00.000Z',
        progress: { phase: state, message: state },
        log: [],
        ...(result === undefined ? {} : { result }),
        ...(error === undefined ? {} : { error }),
      };
      act(() => base.emit('operation.finished', snapshot));
    },
    progress(run) {
      act(() => base.emit('restore.progress', run));
    },
    setResultAnswer: (answer) => (resultAnswer = answer),
    failNext: (channel, error) => failures.set(channel, error),
    callsTo: (channel) => calls.filter((c) => c.channel === channel).map((c) => c.request),
    on: base.on.bind(base),
    async invoke(channel, request) {
      calls.push({ channel, request });
      await Promise.resolve();
      const failure = failures.get(channel);
      if (failure !== undefined) {
        failures.delete(channel);
        return { ok: false, error: failure } as never;
      }
      const parsed = requests[channel].request.safeParse(request);
      if (!parsed.success) return { ok: false, error: { code: 'invalid-input', message: `Invalid request for ${channel}: ${parsed.error.message}` } } as never;
      switch (channel) {
        case 'restore.stage': {
          const { localPath } = request as RequestOf<'restore.stage'>;
          return ok({ localPath, fileName: localPath.split('/').pop()!, size: 1_572_864, staged: true });
        }
        case 'restore.discard':
          return ok({ removed: true });
        case 'restore.inspect':
          return ok({ operationId: 'op-inspect-0001' });
        case 'restore.precheck':
          return ok(precheck(request as RequestOf<'restore.precheck'>));
        case 'restore.start':
          // Main gives every restore its own operation: a retried start is op-restore-0002.
          return ok({ operationId: `op-restore-${String(++starts).padStart(4, '0')}` });
        case 'restore.rehearse':
          return ok({ operationId: 'op-rehearse-0001' });
        case 'restore.retryMachine':
          return 'code' in retry ? ({ ok: false, error: retry } as never) : ok(retry);
        case 'restore.result':
          return resultAnswer !== null && resultAnswer.run.operationId === (request as RequestOf<'restore.result'>).operationId
            ? ok(resultAnswer)
            : ({ ok: false, error: { code: 'not-found', message: 'No such restore.' } } as never);
        case 'backups.plan':
          return ok({ machines: [], suggestedMachineId: null, defaultFolder: '/backups', defaultFilename: 'juju-backup.tar.gz', noDownloadWarning: 'w' });
        case 'backups.list':
          return ok({ folder: '/backups', items: backups, invalid: [], serverError: null });
        case 'backups.create':
          return ok({ operationId: 'op-backup-0001' });
        case 'ha.preview':
          return haPreview === null ? ({ ok: false, error: { code: 'unavailable', message: 'No plan.' } } as never) : ok(haPreview);
        case 'ha.apply':
          return ok({ operationId: 'op-ha-apply-0001' });
        case 'topology.watch':
        case 'topology.get':
          return ok({ environmentId: 'sandbox', status: 'idle', topology: null, error: null });
        default:
          return base.invoke(channel, request);
      }
    },
  };
  return api;
}
