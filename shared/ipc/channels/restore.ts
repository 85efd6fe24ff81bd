import { z } from 'zod';
import { serializedErrorSchema } from '../envelope';
import { operationStartedSchema } from '../operations';
import { backupMetadataSchema, checksumStateSchema } from './backups';

/**
 * Restore (issue 10): inspect a `juju-backup-*.tar.gz` offline, run the
 * pre-checks, and restore a replacement state server the way Juju 1.25's
 * `juju backups restore -b` does, every step shown under the seed's own log
 * lines; then "updating all machines" with a row per machine, and a
 * rehearsal in a throwaway sandbox. Nothing secret crosses this contract:
 * agent.conf passwords read from the archive stay in main.
 *
 * Archives are named by a local path (Electron: the preload's
 * `webUtils.getPathForFile`; browser mode: the path the host's `/files`
 * staging answered; the Backups list: its `localPath`) or by a server
 * backup id (main downloads it into staging first).
 */

const environmentId = z.string().min(1).max(80);
const backupId = z.string().regex(/^\d{8}-\d{6}\.[0-9a-f-]{36}$/, 'not a backup ID');
const localPath = z.string().min(1).max(4096);
const machineId = z.string().regex(/^(?:0|[1-9][0-9]*)(?:\/[a-z]+\/(?:0|[1-9][0-9]*))*$/, 'a machine id such as 3');

/** Which archive: a local file (library, picked, dropped or staged), or a copy on the state server. */
export const archiveRefSchema = z.union([
  z.object({ localPath }).strict(),
  z.object({ environmentId, backupId }).strict(),
]);
export type ArchiveRef = z.input<typeof archiveRefSchema>;

/** Where the replacement state server is: a fresh sandbox machine, or a host the operator bootstrapped. */
export const restoreTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sandbox') }).strict(),
  z
    .object({
      kind: z.literal('host'),
      address: z.string().trim().min(1).max(255).regex(/^[A-Za-z0-9.:\-[\]]+$/, 'an IP address or host name'),
      sshPort: z.number().int().min(1).max(65535).optional(),
    })
    .strict(),
]);
export type RestoreTarget = z.input<typeof restoreTargetSchema>;

/** What the operator confirmed on the pre-check screen. */
export const restoreConfirmationsSchema = z
  .object({
    /** The archive's environment UUID differs from this environment's and the operator accepts it. */
    differentEnvironment: z.boolean().optional(),
    /** Typed environment name, required while a state server still has a vote (restore takes it off). */
    typedEnvironmentName: z.string().max(200).optional(),
  })
  .strict();
export type RestoreConfirmations = z.input<typeof restoreConfirmationsSchema>;

// ---- inspection (plain data from shared/restore/inspection.ts and verdict.ts) ----

const oplogTs = z.object({ seconds: z.number(), increment: z.number(), iso: z.string() });
const flavour = z.enum(['mongodump-2.4', 'json', 'empty', 'missing']);

export const backupInspectionSchema = z.object({
  file: z.string(),
  fileName: z.string(),
  size: z.number(),
  checksum: z.string(),
  expectedChecksum: z.string().nullable(),
  gzip: z.object({ compressedBytes: z.number(), uncompressedBytes: z.number() }),
  layout: z.object({ metadataJson: z.boolean(), rootTar: z.boolean(), dump: z.boolean(), otherMembers: z.array(z.string()) }),
  metadata: backupMetadataSchema.nullable(),
  metadataExtraKeys: z.array(z.string()),
  backupId: z.string().nullable(),
  rootTar: z.object({
    files: z.array(z.object({ path: z.string(), type: z.string(), size: z.number() })),
    fileCount: z.number(),
    listLimit: z.number(),
    bytes: z.number(),
    agentConfs: z.array(z.string()),
  }),
  dump: z.object({
    databases: z.array(
      z.object({
        name: z.string(),
        documents: z.number(),
        bytes: z.number(),
        collections: z.array(
          z.object({
            name: z.string(),
            documents: z.number(),
            bytes: z.number(),
            hasBson: z.boolean(),
            metadataFlavour: flavour,
            indexes: z.number(),
            capped: z.boolean(),
          }),
        ),
      }),
    ),
    documents: z.number(),
    bytes: z.number(),
    flavours: z.record(z.string(), z.number()),
  }),
  oplog: z.object({ documents: z.number(), bytes: z.number(), first: oplogTs.nullable(), last: oplogTs.nullable() }).nullable(),
});

const jujuVersion = z.object({
  major: z.number(),
  minor: z.number(),
  patch: z.number(),
  tag: z.string(),
  build: z.number(),
  exact: z.boolean(),
  text: z.string(),
});

export const restoreVerdictSchema = z.object({
  allowed: z.boolean(),
  path: z.enum(['oplog-replay', 'no-oplog-replay']).nullable(),
  version: jujuVersion.nullable(),
  mongorestoreArgs: z.array(z.string()).nullable(),
  reason: z.string(),
  jujuError: z.string().nullable().optional(),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});

/** `result` of a succeeded `restore.inspect` operation. */
export const restoreInspectResultSchema = z.object({
  /** The local file the later steps use (a server backup is downloaded into staging first). */
  localPath: z.string(),
  inspection: backupInspectionSchema,
  verdict: restoreVerdictSchema,
  /** The SHA-1 against the library's or server's record; `unverified` when neither has one. */
  checksum: z.object({
    state: checksumStateSchema,
    expected: z.string().nullable(),
    source: z.enum(['library', 'server', 'archive']).nullable(),
  }),
});
export type RestoreInspectResult = z.infer<typeof restoreInspectResultSchema>;

// ---- pre-checks ----

export const PRECHECK_IDS = [
  'archive',
  'environment',
  'origin-down',
  'target-reachable',
  'target-version',
  'target-tools',
  'target-space',
  'votes',
] as const;

export const precheckItemSchema = z.object({
  id: z.enum(PRECHECK_IDS),
  title: z.string(),
  state: z.enum(['pass', 'fail', 'warn', 'pending']),
  /** Why, in a sentence (Juju's words where Juju has them). */
  why: z.string(),
  /** Set when a confirmation would turn this item into a pass. */
  needs: z.enum(['different-environment', 'typed-environment-name']).nullable(),
});
export type PrecheckItem = z.infer<typeof precheckItemSchema>;

export const precheckResultSchema = z.object({
  items: z.array(precheckItemSchema),
  /** Every item passes or warns (with the confirmations given). */
  canStart: z.boolean(),
  /** The name to type when `votes` needs it. */
  environmentName: z.string(),
  /** The backup's machine (metadata.json `machine`), which the replacement becomes. */
  originMachineId: z.string(),
  /** The replacement's address as checked, null before it exists (sandbox: made at start). */
  targetAddress: z.string().nullable(),
});
export type PrecheckResult = z.infer<typeof precheckResultSchema>;

const restoreRequestSchema = z
  .object({
    environmentId,
    archive: archiveRefSchema,
    target: restoreTargetSchema,
    confirmations: restoreConfirmationsSchema.default({}),
  })
  .strict();
export type RestoreRequest = z.input<typeof restoreRequestSchema>;

// ---- the run ----

/** The seed's log lines, in order: the step titles. */
export const RESTORE_STEP_TITLES = {
  'extract-credentials': 'extracted credentials from backup file',
  'rebootstrap': 're-bootstrapping environment',
  'connect': 'connecting to newly bootstrapped instance',
  'restore-bootstrap': 'restoring bootstrap machine',
  'copy-backup': 'copying backup file to bootstrap host',
  'update-bootstrap': 'updating bootstrap machine',
  'restored-bootstrap': 'restored bootstrap machine',
  'open-state': 'opening state',
  'update-all-machines': 'updating all machines',
} as const;
export type RestoreStepId = keyof typeof RESTORE_STEP_TITLES;
export const RESTORE_STEP_IDS = Object.keys(RESTORE_STEP_TITLES) as RestoreStepId[];

export const restoreStepStateSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'cancelled', 'skipped']);

export const restoreStepSchema = z.object({
  id: z.enum(RESTORE_STEP_IDS as [RestoreStepId, ...RestoreStepId[]]),
  title: z.string(),
  state: restoreStepStateSchema,
  startedAt: z.string().nullable(),
  durationMs: z.number().nonnegative().nullable(),
  /** Data moved, for steps that move data (the upload). */
  bytes: z.number().nonnegative().nullable(),
  totalBytes: z.number().nonnegative().nullable(),
  /** What ran, one line each (commands without secrets, their outcome). */
  log: z.array(z.object({ at: z.string(), text: z.string(), level: z.enum(['info', 'warning', 'error']) })),
  error: z.string().nullable(),
});
export type RestoreStepView = z.infer<typeof restoreStepSchema>;

/** One row of "updating all machines", as 1.25 reports them. */
export const machineUpdateRowSchema = z.object({
  machineId: z.string(),
  address: z.string().nullable(),
  state: z.enum(['pending', 'running', 'succeeded', 'failed']),
  /** Agents whose agent.conf was rewritten (`machine-1`, `unit-wordpress-0`). */
  agents: z.array(z.string()),
  /** Juju's line: `Succesful update of machine "1"` / `Update of machine "1" failed: <err>`. */
  message: z.string().nullable(),
  reason: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
});
export type MachineUpdateRow = z.infer<typeof machineUpdateRowSchema>;

export const RESTORE_STATUSES = ['UNKNOWN', 'PENDING', 'RESTORING', 'RESTORED', 'CHECKED', 'FAILED'] as const;

export const restoreRunSchema = z.object({
  operationId: z.string(),
  environmentId: z.string(),
  mode: z.enum(['restore', 'rehearsal']),
  state: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  steps: z.array(restoreStepSchema),
  /** Where cancelling stops being possible, and whether the run has passed it. */
  pointOfNoReturn: z.object({ stepId: z.string(), description: z.string(), passed: z.boolean() }),
  cancellable: z.boolean(),
  /** `juju.restoreInfo` status as last written (null before juju-db on the target is reachable). */
  restoreStatus: z.enum(RESTORE_STATUSES).nullable(),
  targetAddress: z.string().nullable(),
  machineId: z.string(),
  machines: z.array(machineUpdateRowSchema),
  error: serializedErrorSchema.nullable(),
});
export type RestoreRun = z.infer<typeof restoreRunSchema>;

export const restoredMachineSchema = z.object({
  machineId: z.string(),
  address: z.string().nullable(),
  isStateServer: z.boolean(),
  hasVote: z.boolean(),
  agentState: z.string(),
  life: z.string(),
});

/** `result` of a succeeded `restore.start` / `restore.rehearse` operation. */
export const restoreResultSchema = z.object({
  environmentId: z.string(),
  mode: z.enum(['restore', 'rehearsal']),
  machineId: z.string(),
  targetAddress: z.string(),
  restoreStatus: z.enum(RESTORE_STATUSES),
  /** After restore: exactly one (Juju leaves one state server; HA is rebuilt with ensure-availability). */
  stateServers: z.array(restoredMachineSchema),
  machines: z.array(restoredMachineSchema),
  updates: z.array(machineUpdateRowSchema),
  durationMs: z.number().nonnegative(),
  /** The sentence for the result page. */
  sentence: z.string(),
});
export type RestoreResult = z.infer<typeof restoreResultSchema>;

export const restoreRequests = {
  /** Checks a picked, dropped or staged path: a regular `.tar.gz`/`.tgz` file, not a folder. */
  'restore.stage': {
    request: z.object({ localPath }).strict(),
    response: z.object({ localPath: z.string(), fileName: z.string(), size: z.number(), staged: z.boolean() }),
  },
  /** Deletes a file Quorum staged (never a file outside `QUORUM_HOME/staging`). */
  'restore.discard': { request: z.object({ localPath }).strict(), response: z.object({ removed: z.boolean() }) },
  /** An operation (kind `restore`); its result is `restoreInspectResultSchema`. */
  'restore.inspect': {
    request: z.object({ archive: archiveRefSchema, environmentId: environmentId.optional() }).strict(),
    response: operationStartedSchema,
  },
  'restore.precheck': { request: restoreRequestSchema, response: precheckResultSchema },
  /** An operation (kind `restore`); steps come as `restore.progress`, the result is `restoreResultSchema`. */
  'restore.start': { request: restoreRequestSchema, response: operationStartedSchema },
  /** Runs "updating all machines" again for one failed row of a finished or running restore. */
  'restore.retryMachine': {
    request: z.object({ operationId: z.string(), machineId }).strict(),
    response: machineUpdateRowSchema,
  },
  /** An operation: the same steps into a throwaway sandbox shaped like the archive's environment, then torn down. */
  'restore.rehearse': {
    request: z.object({ archive: archiveRefSchema }).strict(),
    response: operationStartedSchema,
  },
  /** The run as it stands (for a reloaded window), with the result once succeeded. */
  'restore.result': {
    request: z.object({ operationId: z.string() }).strict(),
    response: z.object({ run: restoreRunSchema, result: restoreResultSchema.nullable() }),
  },
} as const;

export const restoreEvents = {
  /** The whole run after every change of a step, row or status. */
  'restore.progress': restoreRunSchema,
} as const;
