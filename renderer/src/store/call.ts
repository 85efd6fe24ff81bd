import type { Result } from '../../../shared/ipc/envelope';
import type { QuorumApi, RequestChannel, RequestOf, ResponseOf } from '../../../shared/ipc/contract';

/** The sentence shown whenever the main process cannot be reached. */
export const LOST_CONNECTION_MESSAGE = "Lost connection to Quorum's main process. Reconnecting…";

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
  } catch {
    return { ok: false, error: { code: 'internal', message: LOST_CONNECTION_MESSAGE } };
  }
}
