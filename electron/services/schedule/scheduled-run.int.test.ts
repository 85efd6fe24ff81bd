import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../../shared/redact';
import { createBackupsService, type BackupsService } from '../backups/backups-service';
import { startBackupsHarness, type BackupsHarness } from '../backups/testing/backups-harness';
import { createMemoryLogger } from '../log';
import { ConnectionLeases } from './connection-leases';
import { scheduledBackupRunner } from './scheduled-run';
import type { ScheduledRunner } from './scheduler';

/**
 * A scheduled run against the sandbox, wired as the composition root wires
 * it (the backups service over `ConnectionLeases`): it backs up an
 * environment that is not the connection manager's open one without opening
 * it there, leaves the selected environment's connection untouched, closes
 * its own, and applies retention to real archives.
 */

const ENV = 'sandbox';
let harness: BackupsHarness | undefined;
let service: BackupsService;
let run: ScheduledRunner;
let changed = 0;

beforeAll(async () => {
  harness = await startBackupsHarness({ tmpPrefix: 'quorum-scheduled-run-', readiness: { timeoutMs: 5_000, pollMs: 300 }, progressIntervalMs: 50, onPhase: () => undefined });
  const log = createMemoryLogger(new SecretRegistry());
  const leases = new ConnectionLeases(harness.manager);
  const target = harness.target;
  service = createBackupsService({ home: harness.home, operations: harness.operations, connection: async () => leases.open(target), emitChanged: () => undefined, log });
  run = scheduledBackupRunner({
    backups: service,
    operations: harness.operations,
    environments: { resolveTarget: async () => target },
    leases,
    log,
    emitBackupsChanged: () => void (changed += 1),
    now: () => new Date(),
  });
});

afterAll(async () => {
  await harness?.close();
});

describe('scheduled run on the sandbox', () => {
  it('backs up an environment that is not the open one, on a connection of its own', async () => {
    await harness!.manager.closeCurrent();
    const outcome = await run(ENV, { cadence: { kind: 'interval', hours: 1 }, keep: null, maxAgeDays: null, includeServer: false });
    expect(outcome).toMatchObject({ ok: true, backupId: expect.stringMatching(/^\d{8}-\d{6}\./) });
    expect(harness!.manager.current).toBeNull();
    expect(outcome.message).toBe(`Backup ${outcome.backupId} created (${outcome.localPath!.split('/').pop()}).`);
  });

  it('leaves the selected environment’s connection as it was, and applies retention', async () => {
    const selected = harness!.manager.open(harness!.target);
    await new Promise((r) => setTimeout(r, 1100)); // backup IDs are per second
    const outcome = await run(ENV, { cadence: { kind: 'interval', hours: 1 }, keep: 1, maxAgeDays: null, includeServer: true });
    expect(outcome.ok, outcome.message).toBe(true);
    expect(outcome.message).toMatch(/retention removed 2\.$/); // the first backup's local archive and its server copy
    expect(harness!.manager.current).toBe(selected);
    expect(selected.closed).toBe(false);
    const listed = await service.list(ENV);
    expect(listed.items.map((i) => [i.id, i.location])).toEqual([[outcome.backupId, 'both']]);
    expect(changed).toBe(1);
  });
});
