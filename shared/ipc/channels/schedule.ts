import { z } from 'zod';

/**
 * Scheduled backups (issue 12): per environment, a schedule (every N hours,
 * or daily at a local HH:MM) with retention by count and by age, applied to
 * the local library and optionally to the server's copies. Runs happen only
 * while Quorum runs. The state pushed by `schedule.changed` carries the next
 * run and the last result; a failed run stays unacknowledged until the
 * operator acknowledges it.
 */

const environmentId = z.string().min(1).max(80);

/** The notes of every scheduled backup (and of the console's Retry backup of a failed one). */
export const SCHEDULED_NOTES = 'scheduled backup (Quorum)';

export const cadenceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('interval'), hours: z.number().int('a whole number of hours').min(1, 'at least 1 hour').max(168, 'at most 168 hours (a week)') }).strict(),
  z.object({ kind: z.literal('daily'), time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM, 00:00 to 23:59') }).strict(),
]);
export type Cadence = z.infer<typeof cadenceSchema>;

export const scheduleSettingsSchema = z
  .object({
    cadence: cadenceSchema,
    /** Keep at most this many backups; null: no count limit. */
    keep: z.number().int('a whole number of backups').min(1, 'keep at least 1 backup').max(1000).nullable(),
    /** Remove backups older than this many days; null: no age limit. */
    maxAgeDays: z.number().int('a whole number of days').min(1, 'at least 1 day').max(3650).nullable(),
    /** Apply retention to the server's stored copies too. */
    includeServer: z.boolean(),
  })
  .strict();
export type ScheduleSettings = z.infer<typeof scheduleSettingsSchema>;

export const scheduleRunSchema = z.object({
  started: z.string(),
  finished: z.string(),
  ok: z.boolean(),
  /** The backup created, when the backup step succeeded. */
  backupId: z.string().nullable(),
  localPath: z.string().nullable(),
  /** In words: what was done (ok), or what failed and what to do next. */
  message: z.string(),
  /** Whether the run was the catch-up of one that fell due while Quorum was closed. */
  catchUp: z.boolean(),
  /** A failed run is shown until acknowledged; a successful one is born acknowledged. */
  acknowledged: z.boolean(),
});
export type ScheduleRun = z.infer<typeof scheduleRunSchema>;

export const scheduleStateSchema = z.object({
  environmentId: z.string(),
  settings: scheduleSettingsSchema.nullable(),
  /** ISO-8601 time of the next run; null when there is no schedule. */
  nextRun: z.string().nullable(),
  running: z.boolean(),
  lastRun: scheduleRunSchema.nullable(),
  /** The latest failed run not yet acknowledged: shown even after later runs succeed, until acknowledged. */
  failure: scheduleRunSchema.nullable(),
});
export type ScheduleState = z.infer<typeof scheduleStateSchema>;

export const scheduleRequests = {
  'schedule.get': { request: z.object({ environmentId }).strict(), response: scheduleStateSchema },
  'schedule.set': { request: z.object({ environmentId, settings: scheduleSettingsSchema }).strict(), response: scheduleStateSchema },
  'schedule.clear': { request: z.object({ environmentId }).strict(), response: scheduleStateSchema },
  'schedule.acknowledge': { request: z.object({ environmentId }).strict(), response: scheduleStateSchema },
} as const;

export const scheduleEvents = {
  /** An environment's schedule, next run, running flag or last result changed. */
  'schedule.changed': scheduleStateSchema,
} as const;
