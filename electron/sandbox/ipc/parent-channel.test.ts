import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { detectParentChannel, electronParentChannel, nodeParentChannel, type ParentPortLike } from './parent-channel';

/** A stand-in for Electron's `process.parentPort`: messages arrive wrapped as `{ data }`. */
function fakePort() {
  const emitter = new EventEmitter();
  const posted: unknown[] = [];
  const port: ParentPortLike = {
    on: (event, listener) => emitter.on(event, listener),
    postMessage: (message) => void posted.push(message),
  };
  return { port, posted, deliver: (data: unknown) => emitter.emit('message', { data, ports: [] }) };
}

/** A stand-in for a Node child's `process` with an IPC channel. */
function fakeNodeProcess() {
  const emitter = new EventEmitter();
  const sent: unknown[] = [];
  const proc = {
    connected: true,
    send: (message: unknown) => {
      sent.push(message);
      return true;
    },
    disconnect: () => {
      proc.connected = false;
      emitter.emit('disconnect');
    },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches both of Node's `on` overloads
    on: (event: string, listener: (...a: any[]) => void) => emitter.on(event, listener),
  };
  return { proc, sent, emitter };
}

describe('sandbox parent channel', () => {
  it('prefers Electron’s parent port, falls back to Node IPC, and is null without either', () => {
    const { port } = fakePort();
    const { proc } = fakeNodeProcess();
    expect(detectParentChannel({ ...proc, on: proc.on, parentPort: port })?.kind).toBe('electron');
    expect(detectParentChannel({ on: proc.on, parentPort: port })?.kind).toBe('electron');
    expect(detectParentChannel(proc)?.kind).toBe('node');
    expect(detectParentChannel({ on: proc.on })).toBeNull();
    expect(detectParentChannel({ on: proc.on, send: undefined })).toBeNull();
  });

  it('over the parent port: unwraps event.data and posts messages as they are', () => {
    const { port, posted, deliver } = fakePort();
    const channel = electronParentChannel(port);
    const received: unknown[] = [];
    channel.onMessage((m) => received.push(m));
    deliver({ type: 'call', id: 1, method: 'describe', args: [] });
    expect(received).toEqual([{ type: 'call', id: 1, method: 'describe', args: [] }]);
    channel.send({ type: 'log', line: 'hello' });
    channel.close();
    channel.send({ type: 'stopped', id: 2 });
    expect(posted).toEqual([{ type: 'log', line: 'hello' }, { type: 'stopped', id: 2 }]);
  });

  it('over Node IPC: sends only while connected, and reports the parent going away', () => {
    const { proc, sent, emitter } = fakeNodeProcess();
    const channel = nodeParentChannel(proc);
    const received: unknown[] = [];
    let gone = 0;
    channel.onMessage((m) => received.push(m));
    channel.onParentGone(() => gone++);
    emitter.emit('message', { type: 'stop', id: 3 });
    expect(received).toEqual([{ type: 'stop', id: 3 }]);
    channel.send({ type: 'log', line: 'one' });
    channel.close();
    expect(gone).toBe(1);
    channel.send({ type: 'log', line: 'two' });
    channel.close();
    expect(sent).toEqual([{ type: 'log', line: 'one' }]);
    expect(gone).toBe(1);
  });
});
