import { describe, expect, it, vi } from 'vitest';
import { createFakeApi, jujuEnvironment, operationSnapshot } from '../testing/fake-api';
import { createAppStore } from './create-app-store';
import { selectManualEnvironments, selectOperations, selectRunningOperations, selectSelectedEnvironment } from './selectors';
import type { ConnectionStatus } from './slices/connection-slice';
import { followTransport, refreshAll, startSubscriptions } from './subscriptions';

const labInput = { name: 'lab', stateServers: ['10.1.0.5'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/keys/lab' };

describe('environments slice', () => {
  it('loads the list and the selection from main', async () => {
    const api = createFakeApi({ environments: [jujuEnvironment('prod', { current: true })], selectedId: 'juju:prod' });
    const store = createAppStore(api);
    expect(store.getState().environments.status).toBe('idle');
    await store.getState().loadEnvironments();
    const state = store.getState();
    expect(state.environments.status).toBe('ready');
    expect(state.environments.items.map((e) => e.id)).toEqual(['sandbox', 'juju:prod']);
    expect(selectSelectedEnvironment(state)?.name).toBe('prod');
  });

  it('keeps the load error when listing fails', async () => {
    const api = createFakeApi();
    api.failNext('environments.list', { code: 'internal', message: 'Could not read the environments.' });
    const store = createAppStore(api);
    await store.getState().loadEnvironments();
    expect(store.getState().environments.status).toBe('error');
    expect(store.getState().environments.loadError?.message).toBe('Could not read the environments.');
  });

  it('adds, updates and removes a manual environment and refreshes the list', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    await store.getState().loadEnvironments();

    const added = await store.getState().addEnvironment(labInput);
    expect(added.ok).toBe(true);
    expect(selectManualEnvironments(store.getState()).map((e) => e.name)).toEqual(['lab']);

    const updated = await store.getState().updateEnvironment('manual:lab', { ...labInput, sshPort: 2222 });
    expect(updated.ok).toBe(true);
    expect(selectManualEnvironments(store.getState())[0]?.sshPort).toBe(2222);

    const removed = await store.getState().removeEnvironment('manual:lab');
    expect(removed.ok).toBe(true);
    expect(selectManualEnvironments(store.getState())).toEqual([]);
  });

  it('returns the conflict envelope and leaves the list alone', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    await store.getState().addEnvironment(labInput);
    const again = await store.getState().addEnvironment(labInput);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.error.code).toBe('conflict');
    expect(selectManualEnvironments(store.getState())).toHaveLength(1);
  });

  it('records a refused selection without changing the selected environment', async () => {
    const api = createFakeApi({ environments: [jujuEnvironment('prod')] });
    const store = createAppStore(api);
    await store.getState().loadEnvironments();
    await store.getState().selectEnvironment('juju:missing');
    expect(store.getState().environments.selectedId).toBe('sandbox');
    expect(store.getState().environments.selectError).toMatchObject({ id: 'juju:missing', error: { code: 'not-found' } });
    await store.getState().selectEnvironment('juju:prod');
    expect(store.getState().environments.selectedId).toBe('juju:prod');
    expect(store.getState().environments.selectError).toBeNull();
  });

  it('turns a dropped transport into an error result instead of a rejection', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    api.setDisconnected(true);
    const result = await store.getState().addEnvironment(labInput);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/Lost connection to Quorum's main process/);
  });
});

describe('operations slice', () => {
  it('catches up from operations.list, oldest first', async () => {
    const api = createFakeApi();
    api.setOperations([
      operationSnapshot({ id: 'op-second-000', startedAt: '2025-01-01T10:05:00.000Z' }),
      operationSnapshot({ id: 'op-first-0000', startedAt: '2025-01-01T10:00:00.000Z', state: 'succeeded' }),
    ]);
    const store = createAppStore(api);
    await store.getState().loadOperations();
    expect(selectOperations(store.getState()).map((op) => op.id)).toEqual(['op-first-0000', 'op-second-000']);
    expect(selectRunningOperations(store.getState()).map((op) => op.id)).toEqual(['op-second-000']);
  });

  it('never lets a late progress event revive a finished operation', () => {
    const store = createAppStore(createFakeApi());
    store.getState().applyOperation(operationSnapshot({ state: 'succeeded' }));
    store.getState().applyOperation(operationSnapshot({ state: 'running' }));
    expect(store.getState().operations.byId['op-backup-000001']?.state).toBe('succeeded');
  });

  it('follows progress and then the terminal event pushed by main', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    const stop = startSubscriptions(store, api);
    api.emit('operation.progress', operationSnapshot({ progress: { phase: 'compressing', message: 'Compressing', fraction: 0.5 } }));
    expect(selectRunningOperations(store.getState())[0]?.progress.fraction).toBe(0.5);
    api.emit('operation.finished', operationSnapshot({ state: 'failed', error: { code: 'disk-full', message: 'Disk full.' } }));
    expect(selectRunningOperations(store.getState())).toEqual([]);
    expect(store.getState().operations.byId['op-backup-000001']?.error?.code).toBe('disk-full');
    stop();
  });
});

describe('subscriptions', () => {
  it('applies environments.changed and unsubscribes everything on stop', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    const stop = startSubscriptions(store, api);
    await refreshAll(store);
    expect(store.getState().connection.status).toBe('connected');
    expect(store.getState().connection.appInfo?.host).toBe('browser');

    api.emit('environments.changed', { environments: [...api.environmentList().environments, jujuEnvironment('new')], selectedId: 'juju:new' });
    expect(selectSelectedEnvironment(store.getState())?.name).toBe('new');

    stop();
    expect(api.listenerCount('environments.changed')).toBe(0);
    expect(api.listenerCount('operation.progress')).toBe(0);
    expect(api.listenerCount('operation.finished')).toBe(0);
  });
});

describe('transport status', () => {
  it('mirrors the bridge status and reloads everything after a reconnect', async () => {
    const api = createFakeApi();
    const store = createAppStore(api);
    let status: ConnectionStatus = 'connecting';
    const listeners = new Set<(s: ConnectionStatus) => void>();
    const change = (next: ConnectionStatus) => {
      status = next;
      for (const listener of listeners) listener(next);
    };
    const stop = followTransport(store, {
      status: () => status,
      onStatus: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    expect(store.getState().connection.status).toBe('connecting');
    change('connected');
    expect(api.calls).toEqual([]);

    change('lost');
    expect(store.getState().connection.status).toBe('lost');
    await store.getState().addEnvironment({ name: 'lab', stateServers: ['h'], sshUser: 'ubuntu', sshPort: 22, keyFile: 'k' });
    change('connected');
    await vi.waitFor(() => expect(selectManualEnvironments(store.getState()).map((e) => e.name)).toEqual(['lab']));
    expect(api.calls.map((c) => c.channel)).toEqual(expect.arrayContaining(['app.info', 'environments.list', 'operations.list']));
    stop();
    expect(listeners.size).toBe(0);
  });
});
