import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../../shared/redact';
import { createMemoryLogger } from '../log';
import { createEventHub, type EventMessage } from './event-hub';

describe('event hub', () => {
  it('fans validated events out to every subscriber until they unsubscribe', () => {
    const log = createMemoryLogger(new SecretRegistry());
    const hub = createEventHub({ log });
    const a: EventMessage[] = [];
    const b: EventMessage[] = [];
    const offA = hub.subscribe((m) => a.push(m));
    hub.subscribe((m) => b.push(m));
    hub.subscribe(() => {
      throw new Error('bad listener');
    });
    hub.emit('environments.changed', { environments: [], selectedId: 'sandbox' });
    offA();
    hub.emit('environments.changed', { environments: [], selectedId: 'manual:x' });
    expect(a).toHaveLength(1);
    expect(b.map((m) => (m.payload as { selectedId: string }).selectedId)).toEqual(['sandbox', 'manual:x']);
    expect(log.lines.join('\n')).toContain('listener failed');
  });

  it('drops events that break the contract', () => {
    const log = createMemoryLogger(new SecretRegistry());
    const hub = createEventHub({ log });
    const got: EventMessage[] = [];
    hub.subscribe((m) => got.push(m));
    hub.emit('environments.changed', { environments: 'no' } as never);
    hub.emit('nope' as never, {} as never);
    expect(got).toEqual([]);
    expect(log.lines.filter((l) => l.startsWith('error'))).toHaveLength(2);
  });
});
