import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { EVENT_CHANNELS, REQUEST_CHANNELS, events, isEventChannel, isRequestChannel, requests } from './contract';

const good: Record<string, unknown> = {
  'app.info': {},
  'operations.list': {},
  'operations.cancel': { operationId: 'op-1234abcd' },
  'environments.list': {},
  'environments.select': { id: 'sandbox' },
  'environments.add': { name: 'prod', stateServers: ['10.0.0.1', 'db.example.com:22'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k/id' },
  'environments.update': {
    id: 'manual:prod',
    input: { name: 'prod', stateServers: ['[fd00::1]:22'], sshUser: 'ubuntu', sshPort: 2222, keyFile: '/k/id' },
  },
  'environments.remove': { id: 'manual:prod' },
};

const bad: Record<string, readonly unknown[]> = {
  'app.info': [{ extra: 1 }],
  'operations.list': [{ extra: 1 }],
  'operations.cancel': [{}, { operationId: '../../etc' }, { operationId: 'op-1234abcd', extra: 1 }],
  'environments.list': [{ x: 1 }],
  'environments.select': [{}, { id: '' }, { id: 'x'.repeat(81) }],
  'environments.add': [
    { name: 'prod', stateServers: [], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k' },
    { name: '../x', stateServers: ['h'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k' },
    { name: 'p', stateServers: ['h;rm -rf'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k' },
    { name: 'p', stateServers: ['h'], sshUser: 'Root User', sshPort: 22, keyFile: '/k' },
    { name: 'p', stateServers: ['h'], sshUser: 'ubuntu', sshPort: 70000, keyFile: '/k' },
    { name: 'p', stateServers: ['h'], sshUser: 'ubuntu', sshPort: 22, keyFile: '' },
    { name: 'p', stateServers: Array(8).fill('h'), sshUser: 'ubuntu', sshPort: 22, keyFile: '/k' },
    { name: 'p', stateServers: ['h'], sshUser: 'ubuntu', sshPort: 22, keyFile: '/k', password: 'x' },
  ],
  'environments.update': [{ id: 'manual:p' }, { input: good['environments.add'] }],
  'environments.remove': [{}, { id: 5 }],
};

describe('IPC contract', () => {
  it('lists request and event channels with zod schemas on both directions', () => {
    expect(REQUEST_CHANNELS.length).toBeGreaterThan(0);
    for (const channel of REQUEST_CHANNELS) {
      expect(isRequestChannel(channel)).toBe(true);
      const spec = requests[channel] as { request: z.ZodType; response: z.ZodType };
      expect(typeof spec.request.safeParse).toBe('function');
      expect(typeof spec.response.safeParse).toBe('function');
    }
    for (const event of EVENT_CHANNELS) expect(isEventChannel(event)).toBe(true);
    expect(Object.isFrozen(REQUEST_CHANNELS)).toBe(true);
  });

  it('does not treat prototype keys as channels', () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty', '', 42, null]) {
      expect(isRequestChannel(name)).toBe(false);
      expect(isEventChannel(name)).toBe(false);
    }
  });

  it('every request schema rejects payloads that are not objects', () => {
    for (const channel of REQUEST_CHANNELS) {
      const schema = requests[channel].request as z.ZodType;
      for (const payload of [undefined, null, 42, 'x', [], true]) {
        expect(schema.safeParse(payload).success, `${channel} accepted ${JSON.stringify(payload)}`).toBe(false);
      }
    }
  });

  it.each(Object.keys(good))('%s accepts a good payload and rejects bad ones', (channel) => {
    expect(isRequestChannel(channel)).toBe(true);
    const schema = requests[channel as keyof typeof requests].request as z.ZodType;
    const result = schema.safeParse(good[channel]);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    for (const payload of bad[channel] ?? []) {
      expect(schema.safeParse(payload).success, `${channel} accepted ${JSON.stringify(payload)}`).toBe(false);
    }
  });

  it('validates operation events and environment list events', () => {
    const snapshot = {
      id: 'op-abcdef12',
      kind: 'backup.create',
      environmentId: 'sandbox',
      title: 'Back up sandbox',
      state: 'running',
      startedAt: new Date().toISOString(),
      progress: { phase: 'dumping', message: 'Dumping', fraction: 0.5 },
      log: [],
    };
    expect(events['operation.progress'].safeParse(snapshot).success).toBe(true);
    expect(events['operation.progress'].safeParse({ ...snapshot, state: 'exploded' }).success).toBe(false);
    expect(events['operation.finished'].safeParse({ ...snapshot, progress: { phase: 'x', message: 'y', fraction: 2 } }).success).toBe(false);
    expect(events['environments.changed'].safeParse({ environments: [], selectedId: 'sandbox' }).success).toBe(true);
    expect(events['environments.changed'].safeParse({ environments: [{}], selectedId: 'sandbox' }).success).toBe(false);
  });
});
