import { QuorumError } from '../../shared/errors';
import type { OperationSnapshot } from '../../shared/ipc/operations';
import type { EventHub } from '../services/ipc/event-hub';
import type { OperationManager } from '../services/operations/operation-manager';
import type { ProgressSink } from './progress';

/**
 * Waits for an operation the command started, drawing its progress, and
 * returns its result; a failed or cancelled operation throws its
 * operator-facing error. Ctrl-C cancels the operation (it cleans up as it
 * would in the console) before the command exits.
 */
export async function awaitOperation<T>(
  deps: { readonly operations: OperationManager; readonly events: EventHub },
  operationId: string,
  sink: ProgressSink,
): Promise<T> {
  const unsubscribe = deps.events.subscribe((message) => {
    if (message.event !== 'operation.progress') return;
    const snapshot = message.payload as OperationSnapshot;
    if (snapshot.id === operationId) sink.update(snapshot.progress);
  });
  const cancel = () => deps.operations.cancel(operationId);
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  try {
    const done = await deps.operations.whenFinished(operationId);
    if (done.state === 'succeeded') return done.result as T;
    if (done.state === 'cancelled') throw new QuorumError('cancelled', 'interrupted; nothing was kept');
    throw new QuorumError(done.error?.code === undefined ? 'internal' : (done.error.code as never), done.error?.message ?? 'the operation failed');
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
    unsubscribe();
    sink.done();
  }
}
