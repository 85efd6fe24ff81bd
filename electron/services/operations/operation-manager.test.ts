import { afterEach, describe, expect, it, vi } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import type { OperationSnapshot } from '../../../shared/ipc/operations';
import { SecretRegistry } from '../../../shared/redact';
import { createEventHub, type EventMessage } from '../ipc/event-hub';
import { createMemoryLogger } from '../log';
import { createOperationManager, operationHandlers } from './operation-manager';

function setup(opts: { keepFinished?: number } = {}) {
  const secrets = new SecretRegistry();
  secrets.add('sup3r-secret-pw');
  const log = createMemoryLogger(secrets);
  const events = createEventHub({ log });
  const seen: EventMessage[] = [];
  events.subscribe((m) => seen.push(m));
  const manager = createOperationManager({ events, secrets, log, progressIntervalMs: 250, ...opts });
  const of = (id: string, name: string) =>
    seen.filter((m) => m.event === name && (m.payload as OperationSnapshot).id === id).map((m) => m.payload as OperationSnapshot);
  return { manager, seen, of, log };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('operation manager', () => {
  it('throttles progress to at most 4 events a second and never loses the latest state', async () => {
    vi.useFakeTimers();
    const { manager, of } = setup();
    let report!: (n: number) => void;
    let end!: () => void;
    const { operationId } = manager.start('backup.create', { environmentId: 'sandbox', title: 'Back up' }, (ctx) => {
      report = (n) => ctx.progress({ phase: 'dumping', message: `doc ${n}`, fraction: n / 1000 });
      return new Promise<string>((resolve) => (end = () => resolve('done')));
    });
    await vi.advanceTimersByTimeAsync(0);
    // 1000 updates spread over one second.
    for (let i = 1; i <= 1000; i++) {
      report(i);
      await vi.advanceTimersByTimeAsync(1);
    }
    await vi.advanceTimersByTimeAsync(300);
    const progress = of(operationId, 'operation.progress');
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.length).toBeLessThanOrEqual(6);
    expect(progress.at(-1)?.progress.message).toBe('doc 1000');
    report(1000);
    end();
    await vi.advanceTimersByTimeAsync(0);
    const finished = of(operationId, 'operation.finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ state: 'succeeded', result: 'done', progress: { message: 'doc 1000' } });
    expect(finished[0]?.finishedAt).toBeTypeOf('string');
  });

  it('the terminal event carries the final snapshot even when the last progress was throttled', async () => {
    const { manager, of } = setup();
    const { operationId } = manager.start('backup.verify', { environmentId: 'e', title: 'Verify' }, async (ctx) => {
      ctx.progress({ phase: 'a', message: 'first' });
      ctx.progress({ phase: 'b', message: 'last' });
      ctx.log('checked 3 files');
      return { ok: true };
    });
    const final = await manager.whenFinished(operationId);
    expect(final.progress.message).toBe('last');
    expect(final.log.map((l) => l.message)).toEqual(['checked 3 files']);
    expect(of(operationId, 'operation.finished')).toEqual([final]);
    await new Promise((r) => setTimeout(r, 300));
    // No progress event after the terminal one.
    expect(of(operationId, 'operation.progress').every((p) => p.state === 'running')).toBe(true);
    expect(of(operationId, 'operation.finished')).toHaveLength(1);
  });

  it('reports failures serialized and redacted, exactly once', async () => {
    const { manager, of, log } = setup();
    const a = manager.start('restore', { environmentId: 'e', title: 'Restore' }, async () => {
      throw new QuorumError('quorum-lost', 'No majority; password sup3r-secret-pw refused. Restore from a backup.');
    });
    const b = manager.start('restore', { environmentId: 'e', title: 'Restore 2' }, async () => {
      throw new TypeError('boom sup3r-secret-pw');
    });
    const fa = await manager.whenFinished(a.operationId);
    const fb = await manager.whenFinished(b.operationId);
    expect(fa.state).toBe('failed');
    expect(fa.error?.code).toBe('quorum-lost');
    expect(fa.error?.message).not.toContain('sup3r');
    expect(fb.error?.code).toBe('internal');
    expect(of(a.operationId, 'operation.finished')).toHaveLength(1);
    expect(log.lines.join('\n')).not.toContain('sup3r-secret-pw');
  });

  it('cancels through the AbortSignal and ends with state cancelled', async () => {
    const { manager, of } = setup();
    const { operationId } = manager.start('backup.download', { environmentId: 'e', title: 'Download' }, (ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
      }),
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(manager.cancel(operationId)).toBe(true);
    expect(manager.cancel(operationId)).toBe(false);
    const final = await manager.whenFinished(operationId);
    expect(final.state).toBe('cancelled');
    expect(final.error?.code).toBe('cancelled');
    expect(manager.cancel(operationId)).toBe(false);
    expect(of(operationId, 'operation.finished')).toHaveLength(1);
  });

  it('a job that ignores the signal and throws a generic error after cancel still counts as cancelled', async () => {
    const { manager } = setup();
    const { operationId } = manager.start('backup.upload', { environmentId: 'e', title: 'Upload' }, async (ctx) => {
      await new Promise((r) => setTimeout(r, 20));
      if (ctx.signal.aborted) throw new Error('stream destroyed');
      return 1;
    });
    manager.cancel(operationId);
    expect((await manager.whenFinished(operationId)).state).toBe('cancelled');
  });

  it('lists running and recently finished operations, bounded', async () => {
    const { manager } = setup({ keepFinished: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { operationId } = manager.start('backup.verify', { environmentId: 'e', title: `v${i}` }, async () => i);
      ids.push(operationId);
      await manager.whenFinished(operationId);
    }
    let release!: () => void;
    const running = manager.start('ha.apply', { environmentId: 'e', title: 'HA' }, () => new Promise<void>((r) => (release = r)));
    const listed = manager.list();
    expect(listed.map((s) => s.title)).toEqual(['v2', 'v3', 'v4', 'HA']);
    expect(listed.at(-1)?.state).toBe('running');
    const handlers = operationHandlers(manager);
    expect((await handlers['operations.list']()).operations).toHaveLength(4);
    await expect(handlers['operations.cancel']({ operationId: ids[0]! })).rejects.toMatchObject({ code: 'not-found' });
    await new Promise((r) => setTimeout(r, 1));
    release();
    await manager.whenFinished(running.operationId);
  });

  it('refuses a second job with the same exclusive key while the first runs', async () => {
    const { manager } = setup();
    let release!: () => void;
    const first = manager.start('backup.create', { environmentId: 'sandbox', title: 'Back up sandbox', exclusiveKey: 'backup:sandbox' }, () =>
      new Promise<void>((r) => (release = r)),
    );
    expect(() =>
      manager.start('backup.create', { environmentId: 'sandbox', title: 'again', exclusiveKey: 'backup:sandbox' }, async () => {}),
    ).toThrowError(expect.objectContaining({ code: 'busy', message: expect.stringContaining('Back up sandbox') }));
    const other = manager.start('backup.create', { environmentId: 'prod', title: 'prod', exclusiveKey: 'backup:prod' }, async () => {});
    await manager.whenFinished(other.operationId);
    await new Promise((r) => setTimeout(r, 1));
    release();
    await manager.whenFinished(first.operationId);
    const again = manager.start('backup.create', { environmentId: 'sandbox', title: 'again', exclusiveKey: 'backup:sandbox' }, async () => {});
    expect((await manager.whenFinished(again.operationId)).state).toBe('succeeded');
  });

  it('close cancels running jobs and waits for them', async () => {
    const { manager } = setup();
    const { operationId } = manager.start('restore', { environmentId: 'e', title: 'R' }, (ctx) =>
      new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => setTimeout(() => reject(ctx.signal.reason), 10))),
    );
    await new Promise((r) => setTimeout(r, 1));
    await manager.close();
    expect(manager.get(operationId)?.state).toBe('cancelled');
  });
});
