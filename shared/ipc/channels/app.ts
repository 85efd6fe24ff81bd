import { z } from 'zod';
import { operationIdSchema, operationSnapshotSchema } from '../operations';

/** App-level channels: who the host is, and the shared operations registry. */
export const appRequests = {
  'app.info': {
    request: z.object({}).strict(),
    response: z.object({
      version: z.string(),
      host: z.enum(['electron', 'browser']),
      platform: z.string(),
      quorumHome: z.string(),
    }),
  },
  'operations.list': {
    request: z.object({}).strict(),
    response: z.object({ operations: z.array(operationSnapshotSchema) }),
  },
  'operations.cancel': {
    request: z.object({ operationId: operationIdSchema }).strict(),
    response: z.object({ cancelled: z.boolean() }),
  },
} as const;

export const appEvents = {
  /** Throttled progress of a running operation (at most a few per second). */
  'operation.progress': operationSnapshotSchema,
  /** The one terminal event of an operation: state is succeeded, failed or cancelled. */
  'operation.finished': operationSnapshotSchema,
} as const;
