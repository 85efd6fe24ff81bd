import { z } from 'zod';
import { resultSchema } from './envelope';

/**
 * Browser mode carries the IPC contract over one WebSocket: the renderer
 * sends `invoke` frames, main answers each with a `result` frame of the same
 * id and pushes `event` frames. Frames are JSON text; the payloads inside
 * are validated against the contract by the dispatcher, not here.
 */

/** Path of the WebSocket endpoint on the browser-mode host. */
export const WS_PATH = '/ws';

/**
 * Answers 204 to a page whose cookie carries this launch's token, 200 with
 * `TOKEN_REFUSED_HEADER` otherwise (not an error status, which the browser
 * would log as a failed resource). A browser cannot read the status of a
 * refused WebSocket upgrade, so after a drop the renderer asks here: a
 * refusal means Quorum was restarted (a new launch, a new token) and
 * reconnecting is pointless; no answer means a transient drop.
 */
export const SESSION_PATH = '/session';
/** Header (lower case) on every token refusal of the browser-mode host (401s and /session): `x-quorum-refused: token`. */
export const TOKEN_REFUSED_HEADER = 'x-quorum-refused';

/** Largest frame either side accepts (bytes). Requests are small; bulk data never travels over IPC. */
export const WS_MAX_FRAME_BYTES = 1024 * 1024;

export const wsRequestIdSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const wsClientFrameSchema = z
  .object({
    type: z.literal('invoke'),
    id: wsRequestIdSchema,
    channel: z.string().min(1).max(128),
    payload: z.unknown(),
  })
  .strict();
export type WsClientFrame = z.infer<typeof wsClientFrameSchema>;

export const wsResultFrameSchema = z.object({
  type: z.literal('result'),
  id: wsRequestIdSchema,
  result: resultSchema(z.unknown()),
});

export const wsEventFrameSchema = z.object({
  type: z.literal('event'),
  event: z.string(),
  payload: z.unknown(),
});

export const wsServerFrameSchema = z.discriminatedUnion('type', [wsResultFrameSchema, wsEventFrameSchema]);
export type WsServerFrame = z.infer<typeof wsServerFrameSchema>;
