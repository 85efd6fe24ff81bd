import { z } from 'zod';
import { serializedErrorSchema } from './envelope';

/**
 * One mechanism for every long job (backup, download, upload, restore, HA):
 * a start request returns an operation id; progress events follow, throttled;
 * exactly one terminal event ends it. `operations.list` returns every
 * operation still running (and recently finished ones) so a reloaded window
 * catches up.
 */

export const OPERATION_KINDS = [
  'backup.create',
  'backup.download',
  'backup.upload',
  'backup.verify',
  'restore',
  'ha.apply',
] as const;
export const operationKindSchema = z.enum(OPERATION_KINDS);
export type OperationKind = z.infer<typeof operationKindSchema>;

export const operationIdSchema = z.string().regex(/^op-[a-z0-9-]{6,64}$/);

export const operationProgressSchema = z.object({
  /** Machine-readable phase, e.g. `checking`, `dumping`, `collecting-files`, `compressing`, `storing`. */
  phase: z.string().max(64),
  /** The operator-facing sentence for this moment, e.g. "Dumping collection 3 of 12 (juju.units)". */
  message: z.string().max(500),
  /** Step k of n within the operation, when it has discrete steps. */
  step: z.number().int().nonnegative().optional(),
  steps: z.number().int().positive().optional(),
  bytes: z.number().nonnegative().optional(),
  totalBytes: z.number().nonnegative().optional(),
  /** Bytes per second over a recent window. */
  rate: z.number().nonnegative().optional(),
  /** 0..1 when it can be known. */
  fraction: z.number().min(0).max(1).optional(),
});
export type OperationProgress = z.infer<typeof operationProgressSchema>;

export const operationStateSchema = z.enum(['running', 'succeeded', 'failed', 'cancelled']);
export type OperationState = z.infer<typeof operationStateSchema>;

export const operationSnapshotSchema = z.object({
  id: operationIdSchema,
  kind: operationKindSchema,
  /** Environment the operation acts on. */
  environmentId: z.string(),
  title: z.string(),
  state: operationStateSchema,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  progress: operationProgressSchema,
  /** Step log: every step message so far, for flows that show "every step" (restore). */
  log: z.array(z.object({ at: z.string(), message: z.string(), level: z.enum(['info', 'warning', 'error']) })),
  /** Kind-specific result of a succeeded operation (validated by the kind's own schema on the renderer side). */
  result: z.unknown().optional(),
  error: serializedErrorSchema.optional(),
});
export type OperationSnapshot = z.infer<typeof operationSnapshotSchema>;

export const operationStartedSchema = z.object({ operationId: operationIdSchema });
export type OperationStarted = z.infer<typeof operationStartedSchema>;
