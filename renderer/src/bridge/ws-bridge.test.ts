import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeSession, type SessionFetch } from './session-probe';
import { createWsBridge, DISCONNECTED_MESSAGE, RESTARTED_MESSAGE, type BridgeStatus, type WebSocketLike } from './ws-bridge';

/** A socket the test drives: open it, drop it, see what was sent. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: string[] = [];
  readonly #listeners = new Map<string, ((event: { data: unknown }) => void)[]>();
  addEventListener(type: string, listener: (event: { data: unknown }) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.#emit('open');
  }
  drop(): void {
    this.readyState = 3;
    this.#emit('close');
  }
  #emit(type: string): void {
    for (const l of this.#listeners.get(type) ?? []) l({ data: undefined });
  }
}

afterEach(() => {
  vi.useRealTimers();
});

function harness(probe?: () => Promise<'refused' | 'other'>) {
  const sockets: FakeSocket[] = [];
  const statuses: BridgeStatus[] = [];
  const bridge = createWsBridge({
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    initialDelayMs: 100,
    maxDelayMs: 400,
    ...(probe === undefined ? {} : { probe }),
  });
  bridge.onStatus((s) => statuses.push(s));
  return { bridge, sockets, statuses };
}

describe('ws bridge: a restarted host versus a transient drop', () => {
  it('keeps reconnecting after a transient drop (the probe finds no refusal), and says "lost" meanwhile', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(async () => 'other' as const);
    const { bridge, sockets, statuses } = harness(probe);
    sockets[0]!.open();
    sockets[0]!.drop();
    expect(bridge.status()).toBe('lost');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probe).toHaveBeenCalled();
    expect(sockets.length).toBeGreaterThan(1);
    sockets.at(-1)!.open();
    expect(statuses).toEqual(['connected', 'lost', 'connected']);
    bridge.close();
  });

  it('stops for good once the host refuses the token, failing invokes with the restart sentence', async () => {
    vi.useFakeTimers();
    const probe = vi.fn(async () => 'refused' as const);
    const { bridge, sockets, statuses } = harness(probe);
    sockets[0]!.open();
    const inFlight = bridge.invoke('operations.list', {});
    const inFlightFails = expect(inFlight).rejects.toThrow(DISCONNECTED_MESSAGE);
    sockets[0]!.drop();
    await inFlightFails;
    await vi.advanceTimersByTimeAsync(0);
    expect(bridge.status()).toBe('restarted');
    expect(statuses).toEqual(['connected', 'lost', 'restarted']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
    expect(probe).toHaveBeenCalledTimes(1);
    await expect(bridge.invoke('operations.list', {})).rejects.toThrow(RESTARTED_MESSAGE);
    bridge.close();
  });

  it('tells a restart even when the first connection is the one refused, and wakes invokes waiting for it', async () => {
    const { bridge, sockets } = harness(async () => 'refused');
    const waiting = bridge.invoke('operations.list', {});
    sockets[0]!.drop();
    await expect(waiting).rejects.toThrow(RESTARTED_MESSAGE);
    expect(bridge.status()).toBe('restarted');
    bridge.close();
  });

  it('retries as before when the probe itself fails, or when there is no probe', async () => {
    vi.useFakeTimers();
    const failing = harness(async () => Promise.reject(new Error('offline')));
    failing.sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(failing.sockets.length).toBeGreaterThan(1);
    failing.bridge.close();
    const none = harness();
    none.sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(none.sockets.length).toBeGreaterThan(1);
    none.bridge.close();
  });
});

describe('ws bridge: Reconnect now', () => {
  it('opens a socket at once instead of at the end of the backoff, and does nothing while connected or after a restart', async () => {
    vi.useFakeTimers();
    const { bridge, sockets } = harness(async () => 'other');
    sockets[0]!.open();
    bridge.reconnectNow();
    expect(sockets).toHaveLength(1);
    sockets[0]!.drop();
    await vi.advanceTimersByTimeAsync(0);
    expect(sockets).toHaveLength(1);
    bridge.reconnectNow();
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    expect(bridge.status()).toBe('connected');
    bridge.close();
  });
});

describe('probeSession', () => {
  const reply = (status: number, headers: Record<string, string> = {}) => vi.fn(async () => new Response(null, { status, headers })) as unknown as SessionFetch;

  it('calls an answer marked by Quorum a refusal, and anything else not', async () => {
    expect(await probeSession(reply(200, { 'x-quorum-refused': 'token' }))).toBe('refused');
    expect(await probeSession(reply(401, { 'x-quorum-refused': 'token' }))).toBe('refused');
    expect(await probeSession(reply(401))).toBe('other');
    expect(await probeSession(reply(204))).toBe('other');
    expect(await probeSession(vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) as unknown as SessionFetch)).toBe('other');
  });
});
