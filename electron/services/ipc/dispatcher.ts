import type { z } from 'zod';
import { QuorumError, serializeError, type SerializedError } from '../../../shared/errors';
import { fail, ok, type Result } from '../../../shared/ipc/envelope';
import {
  isRequestChannel,
  requests,
  type ParsedRequestOf,
  type RequestChannel,
  type ResponseOf,
} from '../../../shared/ipc/contract';
import type { SecretRegistry } from '../../../shared/redact';
import { describeError, type Logger } from '../log';

/** Who sent a request: a window the Electron host created, or a browser-mode WebSocket. */
export interface SenderInfo {
  readonly host: 'electron' | 'browser';
  /** webContents id or WebSocket connection id, for logs. */
  readonly id: string;
}

export interface HandlerContext {
  readonly sender: SenderInfo;
  readonly log: Logger;
}

export type Handler<C extends RequestChannel> = (req: ParsedRequestOf<C>, ctx: HandlerContext) => Promise<ResponseOf<C>>;

/** Per-channel handlers; a feature registers only its own channels. */
export type Handlers = { [C in RequestChannel]?: Handler<C> };

/**
 * The transport-agnostic heart of IPC: both hosts (Electron's `ipcMain`,
 * browser mode's WebSocket) hand every request to `dispatch`. It validates
 * the channel and the payload before any handler runs, and always answers
 * with a Result envelope: nothing thrown ever crosses the boundary.
 */
export interface Dispatcher {
  dispatch(channel: unknown, payload: unknown, sender: SenderInfo): Promise<Result<unknown>>;
  /** Adds handlers (features register theirs from the composition root). A channel may be registered once. */
  register(handlers: Handlers): void;
  /** Channels that have a handler. */
  registered(): readonly RequestChannel[];
}

export interface DispatcherOptions {
  readonly log: Logger;
  readonly secrets: SecretRegistry;
}

export function createDispatcher(initial: Handlers, options: DispatcherOptions): Dispatcher {
  const table = new Map<RequestChannel, Handler<RequestChannel>>();
  const log = options.log.child('ipc');

  const register = (handlers: Handlers): void => {
    for (const [channel, handler] of Object.entries(handlers)) {
      if (!isRequestChannel(channel)) throw new Error(`Cannot register a handler for unknown channel ${channel}`);
      if (handler === undefined) continue;
      if (table.has(channel)) throw new Error(`A handler for ${channel} is already registered`);
      table.set(channel, handler as Handler<RequestChannel>);
    }
  };
  register(initial);

  const redacted = (error: SerializedError): SerializedError => ({
    ...error,
    message: options.secrets.redact(error.message),
    ...(error.details === undefined
      ? {}
      : {
          details: Object.fromEntries(
            Object.entries(error.details).map(([k, v]) => [k, typeof v === 'string' ? options.secrets.redact(v) : v]),
          ),
        }),
  });

  const dispatch = async (channel: unknown, payload: unknown, sender: SenderInfo): Promise<Result<unknown>> => {
    if (!isRequestChannel(channel)) {
      const shown = typeof channel === 'string' && /^[a-z][a-zA-Z0-9.]{0,63}$/.test(channel) ? `"${channel}"` : 'given';
      log.warn('Refused a request on an unknown channel', { sender: sender.id, channel: shown });
      return fail({
        code: 'invalid-input',
        message: options.secrets.redact(
          `The channel ${shown} is not part of Quorum's IPC contract. Update the console so both sides match.`,
        ),
      });
    }
    const spec = requests[channel];
    const parsed = (spec.request as z.ZodType).safeParse(payload);
    if (!parsed.success) {
      return fail({ code: 'invalid-input', message: describeIssues(channel, parsed.error, options.secrets) });
    }
    const handler = table.get(channel);
    if (handler === undefined) {
      return fail({
        code: 'not-found',
        message: `${channel} is not available in this version of Quorum. Update Quorum to use this feature.`,
      });
    }
    const ctx: HandlerContext = { sender, log };
    const began = performance.now();
    let value: unknown;
    try {
      value = await handler(parsed.data as never, ctx);
      log.debug(channel, { sender: sender.id, ms: Math.round(performance.now() - began) });
    } catch (error) {
      log.debug(`${channel} failed`, { sender: sender.id, ms: Math.round(performance.now() - began) });
      if (error instanceof QuorumError) {
        if (error.code === 'internal') log.error(`${channel} failed`, { error: describeError(error) });
        return fail(redacted(serializeError(error)));
      }
      log.error(`${channel} failed with an unexpected error`, { error: describeError(error) });
      return fail(serializeError(error));
    }
    // Responses are parsed too: a handler bug is caught here, and unknown
    // fields (say, a password on a model object) are stripped, never sent.
    const checked = (spec.response as z.ZodType).safeParse(value);
    if (!checked.success) {
      log.error(`${channel} returned a response that does not match the contract`, {
        issues: checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      });
      return fail(serializeError(new Error('response validation failed')));
    }
    return ok(checked.data);
  };

  return { dispatch, register, registered: () => [...table.keys()] };
}

/**
 * "Invalid request for environments.add: stateServers.0: not a host name or
 * address." Names the field and what is wrong with it; zod's messages state
 * expectations, never the received value, and the text is redacted anyway.
 */
export function describeIssues(channel: string, error: z.ZodError, secrets?: SecretRegistry): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const where = issue.path.length === 0 ? 'request' : issue.path.map(String).join('.');
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  const text = `Invalid request for ${channel}: ${parts.join('; ')}${more}. Correct the value and try again.`;
  return secrets === undefined ? text : secrets.redact(text);
}
