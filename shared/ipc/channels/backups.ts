import { z } from 'zod';
import { serializedErrorSchema } from '../envelope';
import { operationStartedSchema } from '../operations';

/**
 * Backups (issue 5): plan and create a Juju-compatible backup, and manage
 * every archive on the state server and in the local folder. Long jobs
 * (create, download, upload, verify) are operations: they answer with an
 * operation id and report through `operation.progress` / `operation.finished`.
 */

const environmentId = z.string().min(1).max(80);
const backupId = z.string().regex(/^\d{8}-\d{6}\.[0-9a-f-]{36}$/, 'not a backup ID');
/** An absolute path to a local archive (checked again by main against the folders it knows). */
const localPath = z.string().min(1).max(4096);
const folder = z.string().trim().min(1).max(4096);
const filename = z
  .string()
  .trim()
  .min(1, 'a file name is required')
  .max(255)
  .regex(/^[^/\\\0]+$/, 'a file name, not a path')
  .refine((v) => v !== '.' && v !== '..', 'a file name, not a path');

/** Juju's 12 metadata fields (times ISO-8601 UTC, null for Go's zero time). */
export const backupMetadataSchema = z.object({
  id: z.string(),
  checksum: z.string(),
  checksumFormat: z.string(),
  size: z.number().int().nonnegative(),
  stored: z.string().nullable(),
  started: z.string().nullable(),
  finished: z.string().nullable(),
  notes: z.string(),
  environment: z.string(),
  machine: z.string(),
  hostname: z.string(),
  version: z.string(),
});

export const backupLocationSchema = z.enum(['server', 'local', 'both']);
export type BackupLocation = z.infer<typeof backupLocationSchema>;

export const checksumStateSchema = z.enum(['verified', 'mismatch', 'unverified']);
export type ChecksumState = z.infer<typeof checksumStateSchema>;

export const backupListItemSchema = z.object({
  /** Backup ID (for a local file: recomputed from Started + Environment, as Juju's upload does). */
  id: z.string(),
  location: backupLocationSchema,
  metadata: backupMetadataSchema,
  localPath: z.string().nullable(),
  checksumState: checksumStateSchema,
});
export type BackupListItem = z.infer<typeof backupListItemSchema>;

export const invalidLocalArchiveSchema = z.object({ localPath: z.string(), reason: z.string() });

export const stateServerChoiceSchema = z.object({
  machineId: z.string(),
  address: z.string(),
  voting: z.boolean(),
  healthy: z.boolean(),
  primary: z.boolean(),
});

export const backupPlanSchema = z.object({
  machines: z.array(stateServerChoiceSchema),
  /** The initial state server: machine 0 when up, else the lowest-numbered healthy voting one. */
  suggestedMachineId: z.string().nullable(),
  defaultFolder: z.string(),
  /** `juju-backup-YYYYMMDD-hhmmss.tar.gz` for now; the real name uses the start time. */
  defaultFilename: z.string(),
  noDownloadWarning: z.string(),
});
export type BackupPlan = z.infer<typeof backupPlanSchema>;

export const createBackupRequestSchema = z
  .object({
    environmentId,
    /** Override of the suggested state server. */
    machineId: z.string().regex(/^\d+$/).optional(),
    notes: z.string().max(4096).default(''),
    keepLocal: z.boolean().default(true),
    folder: folder.optional(),
    filename: filename.optional(),
  })
  .strict();
export type CreateBackupRequest = z.input<typeof createBackupRequestSchema>;

/** `result` of a succeeded `backup.create` operation. */
export const createBackupResultSchema = z.object({
  metadata: backupMetadataSchema,
  localPath: z.string().nullable(),
  warning: z.string().nullable(),
});
export type CreateBackupResult = z.infer<typeof createBackupResultSchema>;

export const backupInfoSchema = z.object({
  metadata: backupMetadataSchema,
  location: backupLocationSchema,
  localPath: z.string().nullable(),
  /** Filled for local archives: the dump and root.tar as found in the file. */
  contents: z
    .object({
      databases: z.array(z.object({ name: z.string(), collections: z.number().int(), bytes: z.number() })),
      rootTarMembers: z.number().int(),
      hasOplog: z.boolean(),
    })
    .nullable(),
});
export type BackupInfo = z.infer<typeof backupInfoSchema>;

export const verifyResultSchema = z.object({
  state: checksumStateSchema,
  checksum: z.string(),
  expected: z.string().nullable(),
});

const target = z.union([z.object({ environmentId, id: backupId }).strict(), z.object({ environmentId, localPath }).strict()]);

export const backupsRequests = {
  'backups.plan': { request: z.object({ environmentId }).strict(), response: backupPlanSchema },
  'backups.create': { request: createBackupRequestSchema, response: operationStartedSchema },
  'backups.list': {
    request: z.object({ environmentId, folder: folder.optional() }).strict(),
    response: z.object({
      folder: z.string(),
      items: z.array(backupListItemSchema),
      invalid: z.array(invalidLocalArchiveSchema),
      /** Set when the server's list could not be read (local archives are still listed). */
      serverError: serializedErrorSchema.nullable(),
    }),
  },
  'backups.info': { request: target, response: backupInfoSchema },
  /** An operation; its result is `verifyResultSchema`. */
  'backups.verify': { request: target, response: operationStartedSchema },
  'backups.download': {
    request: z.object({ environmentId, id: backupId, folder: folder.optional(), filename: filename.optional() }).strict(),
    response: operationStartedSchema,
  },
  'backups.upload': { request: z.object({ environmentId, localPath }).strict(), response: operationStartedSchema },
  'backups.remove': { request: z.object({ environmentId, id: backupId }).strict(), response: z.object({ removed: z.string() }) },
  'backups.deleteLocal': { request: z.object({ localPath }).strict(), response: z.object({ deleted: z.string() }) },
  'backups.reveal': {
    request: z.object({ localPath }).strict(),
    response: z.object({ available: z.boolean(), message: z.string() }),
  },
} as const;

export const backupsEvents = {
  /** The list changed (created, downloaded, uploaded, removed, deleted); the renderer re-lists. */
  'backups.changed': z.object({ environmentId: z.string() }),
} as const;
