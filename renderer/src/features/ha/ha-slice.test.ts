import { describe, expect, it } from 'vitest';
import type { EnsureAvailabilitySpec, HaPreview } from '../../../../shared/ipc/channels/ha';
import type { QuorumApi } from '../../../../shared/ipc/contract';
import { createAppStore } from '../../store/create-app-store';
import { createFakeApi } from '../../testing/fake-api';
import { haApi, previewOf, server, statusOf, worker } from './ha-test-api';

const MACHINES = [server('0'), worker('1'), worker('2')];

describe('ha slice', () => {
  it('drops a late preview answer for a count the operator has already left', async () => {
    const base = createFakeApi();
    const pending = new Map<number, (p: HaPreview) => void>();
    const api: QuorumApi = {
      on: base.on.bind(base),
      invoke: (channel, request) => {
        if (channel !== 'ha.preview') return base.invoke(channel, request);
        const spec = request as EnsureAvailabilitySpec;
        return new Promise((resolve) => pending.set(spec.n, (p) => resolve({ ok: true, value: p } as never)));
      },
    };
    const store = createAppStore(api);
    const slow = store.getState().previewHa({ environmentId: 'sandbox', n: 3 });
    const fast = store.getState().previewHa({ environmentId: 'sandbox', n: 5 });
    pending.get(5)!(previewOf(MACHINES, { environmentId: 'sandbox', n: 5 }));
    await fast;
    pending.get(3)!(previewOf(MACHINES, { environmentId: 'sandbox', n: 3 }));
    await slow;
    expect(store.getState().ha.preview?.desired).toBe(5);
    expect(store.getState().ha.preview?.lines).toEqual(['maintaining machines: 0', 'adding machines: 3, 4, 5, 6']);
    expect(store.getState().ha.previewing).toBe(false);
  });

  it('ignores another environment’s status and finds a running apply through the status after a reload', async () => {
    const api = haApi(MACHINES);
    const store = createAppStore(api);
    await store.getState().loadHaStatus('sandbox');
    store.getState().applyHaStatus({ ...statusOf(MACHINES), environmentId: 'juju:prod', votingCount: 5 });
    expect(store.getState().ha.status?.votingCount).toBe(1);
    store.getState().applyHaStatus(statusOf(MACHINES, { applyOperationId: 'op-ha-apply-0009' }));
    expect(store.getState().ha.applyOperationId).toBe('op-ha-apply-0009');
  });

  it('never keeps the admin password, only the outcome', async () => {
    const api = haApi(MACHINES, { adminPassword: 'missing' });
    const store = createAppStore(api);
    await store.getState().loadHaStatus('sandbox');
    const r = await store.getState().setHaAdminPassword('sandbox', 'p4ssw0rd-not-kept');
    expect(r).toEqual({ ok: true, value: { verified: true } });
    expect(JSON.stringify(store.getState())).not.toContain('p4ssw0rd-not-kept');
  });
});
