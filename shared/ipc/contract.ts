import type { z } from 'zod';
import type { Result } from './envelope';
import { appEvents, appRequests } from './channels/app';
import { backupsEvents, backupsRequests } from './channels/backups';
import { connectionEvents, connectionRequests } from './channels/connection';
import { environmentEvents, environmentRequests } from './channels/environments';
import { haEvents, haRequests } from './channels/ha';
import { restoreEvents, restoreRequests } from './channels/restore';
import { sandboxRequests } from './channels/sandbox';
import { scheduleEvents, scheduleRequests } from './channels/schedule';
import { topologyEvents, topologyRequests } from './channels/topology';

/**
 * The IPC contract: every channel Quorum's renderer may call, and every event
 * the main side may push, with zod schemas for both directions. Each domain
 * keeps its channels in `channels/<domain>.ts`; this file only assembles them.
 *
 * Both hosts (Electron's preload, browser mode's WebSocket) carry exactly this
 * contract; main validates every request payload against it, and the renderer
 * never learns which host it has.
 */
export const requests = {
  ...appRequests,
  ...environmentRequests,
  ...connectionRequests,
  ...topologyRequests,
  ...sandboxRequests,
  ...backupsRequests,
  ...haRequests,
  ...restoreRequests,
  ...scheduleRequests,
} as const;

export const events = {
  ...appEvents,
  ...environmentEvents,
  ...connectionEvents,
  ...topologyEvents,
  ...backupsEvents,
  ...haEvents,
  ...restoreEvents,
  ...scheduleEvents,
} as const;

export type RequestChannel = keyof typeof requests;
export type EventChannel = keyof typeof events;

export type RequestOf<C extends RequestChannel> = z.input<(typeof requests)[C]['request']>;
export type ParsedRequestOf<C extends RequestChannel> = z.output<(typeof requests)[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.output<(typeof requests)[C]['response']>;
export type EventOf<E extends EventChannel> = z.output<(typeof events)[E]>;

export const REQUEST_CHANNELS = Object.freeze(Object.keys(requests)) as readonly RequestChannel[];
export const EVENT_CHANNELS = Object.freeze(Object.keys(events)) as readonly EventChannel[];

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(requests, value);
}

export function isEventChannel(value: unknown): value is EventChannel {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

/**
 * What the renderer sees, whichever host carries it: the Electron preload
 * exposes an object of this shape as `window.quorum`; browser mode builds
 * one over a WebSocket.
 */
export interface QuorumApi {
  invoke<C extends RequestChannel>(channel: C, request: RequestOf<C>): Promise<Result<ResponseOf<C>>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventChannel>(event: E, listener: (payload: EventOf<E>) => void): () => void;
}

/** The name under which the preload exposes the API on `window`. */
export const API_GLOBAL = 'quorum';
