import type { z } from 'zod';
import { events, isEventChannel, type EventChannel, type EventOf } from '../../../shared/ipc/contract';
import { describeError, type Logger } from '../log';

/** A validated event as the hosts forward it: `webContents.send` or a WebSocket frame. */
export interface EventMessage {
  readonly event: EventChannel;
  readonly payload: unknown;
}

export type EventListener = (message: EventMessage) => void;

/**
 * Fan-out of main-side events to every connected renderer. Payloads are
 * validated against the contract (and stripped of unknown fields) before
 * they leave, so a service bug cannot push malformed or extra data.
 */
export interface EventHub {
  emit<E extends EventChannel>(event: E, payload: EventOf<E>): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
}

export function createEventHub(options: { readonly log: Logger }): EventHub {
  const listeners = new Set<EventListener>();
  const log = options.log.child('events');
  return {
    emit(event, payload) {
      if (!isEventChannel(event)) {
        log.error('Dropped an event on an unknown channel', { event: String(event) });
        return;
      }
      const parsed = (events[event] as z.ZodType).safeParse(payload);
      if (!parsed.success) {
        log.error(`Dropped a ${event} event that does not match the contract`, {
          issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
        });
        return;
      }
      const message: EventMessage = { event, payload: parsed.data };
      for (const listener of [...listeners]) {
        try {
          listener(message);
        } catch (error) {
          log.error(`An event listener failed on ${event}`, { error: describeError(error) });
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
