import { describe, expect, it, vi } from 'vitest';
import type { QuorumApi } from '../../shared/ipc/contract';

/** The preload against a recording stand-in for `electron` (its binary cannot run here). */
const recorded = vi.hoisted(() => ({
  exposed: new Map<string, unknown>(),
  invokes: [] as unknown[][],
  listeners: new Map<string, (event: unknown, message: unknown) => void>(),
}));

vi.mock('electron', () => ({
  webUtils: { getPathForFile: () => '/dropped/file' },
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => recorded.exposed.set(key, api) },
  ipcRenderer: {
    invoke: async (...args: unknown[]) => {
      recorded.invokes.push(args);
      return { ok: true, value: { operations: [] } };
    },
    on: (channel: string, listener: (event: unknown, message: unknown) => void) => recorded.listeners.set(channel, listener),
  },
}));

await import('./index');

describe('preload', () => {
  const api = recorded.exposed.get('quorum') as QuorumApi;

  it('exposes exactly a frozen { invoke, on, pathForFile } as window.quorum, and nothing else', () => {
    expect([...recorded.exposed.keys()]).toEqual(['quorum']);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on', 'pathForFile']);
    expect(() => (api as unknown as { pathForFile(f: unknown): string }).pathForFile('/etc/passwd')).toThrow(TypeError);
  });

  it('forwards contract channels through quorum:invoke and refuses unknown ones locally', async () => {
    expect(await api.invoke('operations.list', {})).toEqual({ ok: true, value: { operations: [] } });
    expect(recorded.invokes).toEqual([['quorum:invoke', 'operations.list', {}]]);
    expect(await api.invoke('shell.exec' as never, {} as never)).toMatchObject({ ok: false, error: { code: 'invalid-input' } });
    expect(recorded.invokes).toHaveLength(1);
  });

  it('fans quorum:event messages out to listeners of that event only, until unsubscribed', () => {
    const got: unknown[] = [];
    const off = api.on('environments.changed', (p) => got.push(p));
    expect(() => api.on('nope' as never, () => {})).toThrow(TypeError);
    const pump = recorded.listeners.get('quorum:event')!;
    pump({}, { event: 'environments.changed', payload: { selectedId: 'sandbox', environments: [] } });
    pump({}, { event: 'operation.progress', payload: {} });
    pump({}, { event: 'not-an-event', payload: {} });
    pump({}, null);
    off();
    pump({}, { event: 'environments.changed', payload: {} });
    expect(got).toEqual([{ selectedId: 'sandbox', environments: [] }]);
  });
});
