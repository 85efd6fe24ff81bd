import type { SandboxProcess } from '../electron/sandbox/sandbox-client';
import { targetForSandbox } from '../electron/services/environments/targets';
import type { Logger } from '../electron/services/log';
import { createOperationManager } from '../electron/services/operations/operation-manager';
import { createRestoreService } from '../electron/services/restore/restore-service';
import type { RestoreResult } from '../shared/ipc/channels/restore';
import type { SecretRegistry } from '../shared/redact';

/**
 * The restore half of `npm run bench`: every state server of the bench's
 * sandbox powered off, then the archive the backup just made restored into
 * a replacement machine 0 through the restore service (all nine steps, the
 * upload streamed), timing it end to end and sampling this process's RSS.
 */
export async function benchRestore(options: {
  readonly home: string;
  readonly sandbox: SandboxProcess;
  readonly archive: string;
  readonly secrets: SecretRegistry;
  readonly logger: Logger;
}): Promise<{ seconds: number; peakRss: number; result: RestoreResult; steps: string }> {
  const { sandbox, secrets, logger } = options;
  for (const m of (await sandbox.describe()).machines.filter((x) => x.stateServer)) await sandbox.powerOff(m.id);
  const operations = createOperationManager({ events: { emit: () => undefined }, secrets, log: logger, progressIntervalMs: 250 });
  const restore = createRestoreService({
    home: options.home,
    operations,
    secrets,
    log: logger,
    place: async () => {
      const d = await sandbox.describe();
      return { environmentId: 'sandbox', name: d.environment.name, uuid: d.environment.uuid, target: targetForSandbox(d), sandbox };
    },
    emitProgress: () => undefined,
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  try {
    const t0 = performance.now();
    const { operationId } = await restore.start('sandbox', { localPath: options.archive }, { kind: 'sandbox' }, {});
    const done = await operations.whenFinished(operationId);
    const seconds = (performance.now() - t0) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (done.state !== 'succeeded') throw new Error(`restore ${done.state}: ${done.error?.message}`);
    const { run, result } = restore.result(operationId);
    const steps = run.steps.map((s) => `${s.title} ${((s.durationMs ?? 0) / 1000).toFixed(1)} s`).join(', ');
    return { seconds, peakRss: peak, result: result!, steps };
  } finally {
    clearInterval(sampler);
    await restore.close();
    await operations.close();
  }
}
