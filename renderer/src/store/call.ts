import type { Result } from '../../../shared/ipc/envelope';
import type { QuorumApi, RequestChannel, RequestOf, ResponseOf } from '../../../shared/ipc/contract';
import { RESTARTED_MESSAGE } from '../bridge/ws-bridge';

/** The sentence shown whenever the main process cannot be reached (a transient drop: the bridge reconnects). */
export const LOST_CONNECTION_MESSAGE = "Lost connection to Quorum's main process. Reconnecting…";

/** The sentence shown once the browser-mode host refused this page's token: it was restarted, with a new address. */
export const RESTARTED_CONNECTION_MESSAGE = RESTARTED_MESSAGE;

/**
 * Invokes a channel and always resolves to a result envelope. The hosts
 * answer with envelopes, but a transport failure (a closed WebSocket, a
 * destroyed window) rejects instead; slices should not need a try/catch on
 * every call, so that becomes an ordinary error result here.
 */
export async function call<C extends RequestChannel>(
  api: QuorumApi,
  channel: C,
  request: RequestOf<C>,
): Promise<Result<ResponseOf<C>>> {
  try {
    return await api.invoke(channel, request);
  } catch (error) {
    const restarted = error instanceof Error && error.message === RESTARTED_MESSAGE;
    return { ok: false, error: { code: 'internal', message: restarted ? RESTARTED_CONNECTION_MESSAGE : LOST_CONNECTION_MESSAGE } };
  }
}
