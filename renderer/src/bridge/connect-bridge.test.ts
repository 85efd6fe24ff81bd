import { afterEach, describe, expect, it, vi } from 'vitest';
import type { QuorumApi } from '../../../shared/ipc/contract';
import { connectBridge } from './connect-bridge';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('connectBridge', () => {
  it('uses the preload API when Electron provided one', async () => {
    const invoke = vi.fn(async () => ({ ok: true as const, value: { operations: [] } }));
    const preload = { invoke, on: vi.fn(() => () => {}) } as unknown as QuorumApi;
    const bridge = await connectBridge({ quorum: preload, location: { protocol: 'app:', host: 'quorum' } } as unknown as Window);
    expect(bridge.status()).toBe('connected');
    expect(await bridge.invoke('operations.list', {})).toEqual({ ok: true, value: { operations: [] } });
    expect(invoke).toHaveBeenCalledWith('operations.list', {});
  });

  it('otherwise opens the WebSocket on the page origin (the cookie authenticates it)', async () => {
    const urls: string[] = [];
    vi.stubGlobal(
      'WebSocket',
      class {
        readyState = 0;
        constructor(url: string) {
          urls.push(url);
        }
        addEventListener() {}
        send() {}
        close() {}
      },
    );
    const bridge = await connectBridge({ location: { protocol: 'http:', host: '127.0.0.1:4321' } } as unknown as Window);
    expect(urls).toEqual(['ws://127.0.0.1:4321/ws']);
    expect(bridge.status()).toBe('connecting');
    bridge.close();
  });
});
