import { EventEmitter } from 'node:events';

/**
 * Loaded with `--import` into a Node child so it looks like an Electron
 * utility process to the sandbox entry: `process.parentPort` carries the
 * messages (wrapped as `{ data }`, queued until a handler is registered, as
 * Electron does) and `process.send` is gone, so the entry cannot fall back
 * to Node's IPC. Test-only: see `utility-process-stand-in.ts`.
 */
const send = process.send?.bind(process);
if (send === undefined) throw new Error('parent-port-shim needs a Node IPC channel underneath.');

const port = new EventEmitter() as EventEmitter & { postMessage(message: unknown): void };
const queued: unknown[] = [];
port.postMessage = (message) => void send(message);
port.on('newListener', (event: string) => {
  if (event !== 'message') return;
  // Deliver what arrived before the first handler, after it is attached.
  setImmediate(() => {
    for (const data of queued.splice(0)) port.emit('message', { data, ports: [] });
  });
});
process.on('message', (data) => {
  if (port.listenerCount('message') === 0) queued.push(data);
  else port.emit('message', { data, ports: [] });
});
Object.defineProperty(process, 'parentPort', { value: port, configurable: true });
process.send = undefined;
