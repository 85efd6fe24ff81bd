import { z } from 'zod';
import { ERROR_CODES, type SerializedError } from '../errors';

/**
 * Every request answers with a result envelope rather than throwing across
 * the process boundary: Electron's IPC (and JSON over WebSocket) keeps only
 * an error's message, so errors travel as data with a code.
 */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: SerializedError };

export const serializedErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

export function resultSchema<T extends z.ZodType>(value: T) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }),
    z.object({ ok: z.literal(false), error: serializedErrorSchema }),
  ]);
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail(error: SerializedError): Result<never> {
  return { ok: false, error };
}
