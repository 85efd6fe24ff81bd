import { QuorumError, serializeError } from '../../shared/errors';
import { detectParentChannel, type ParentChannel } from './ipc/parent-channel';
import { isSandboxMethod, type ChildMessage, type ParentMessage } from './ipc/protocol';
import { startSandbox, type Sandbox } from './sandbox';
import type { AddMachineOptions, SandboxBlockKind } from './types';

/**
 * Entry of the sandbox child process: juju-db and the SSH hosts run here so
 * they never compete with the console's main event loop. It waits for a
 * `start` message, serves the orchestrator's methods by request id, and
 * stops cleanly when asked, on SIGTERM/SIGINT, or when the parent goes away
 * (the IPC channel closes), so no orphan keeps the ports and files. It runs
 * as a Node child (Node's IPC channel) or as an Electron utility process
 * (`process.parentPort`, ended with the app): see `ipc/parent-channel.ts`.
 */

const maybeChannel = detectParentChannel(process as Parameters<typeof detectParentChannel>[0]);
if (!maybeChannel) {
  process.stderr.write('electron/sandbox/process.ts runs as a child with an IPC channel; use `npm run sandbox` to run the sandbox in a terminal.\n');
  process.exit(2);
}
const channel: ParentChannel = maybeChannel;

function send(message: ChildMessage): void {
  channel.send(message);
}

let sandbox: Sandbox | undefined;
let stopping: Promise<void> | undefined;

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    await sandbox?.stop().catch(() => undefined);
    sandbox = undefined;
  })().finally(() => {
    process.exitCode = code;
    // Leave once the last message is flushed. A Node child also leaves as soon as it is idle;
    // a utility process keeps running until told, so its timer holds the loop open.
    channel.close();
    const timer = setTimeout(() => process.exit(code), 50);
    if (channel.kind === 'node') timer.unref();
  });
  return stopping;
}

async function call(sb: Sandbox, method: string, args: readonly unknown[]): Promise<unknown> {
  switch (method) {
    case 'describe':
      return sb.describe();
    case 'powerOff':
      return sb.powerOff(String(args[0]));
    case 'powerOn':
      return sb.powerOn(String(args[0]));
    case 'setMemberHealthy':
      return sb.setMemberHealthy(String(args[0]), Boolean(args[1]));
    case 'rotateHostKey':
      return sb.rotateHostKey(String(args[0]));
    case 'addMachine':
      return sb.addMachine(args[0] as AddMachineOptions);
    case 'setBlock':
      return sb.setBlock(args[0] as SandboxBlockKind, args[1] === null ? null : String(args[1]));
    case 'setDiskFree':
      return sb.setDiskFree(String(args[0]), args[1] === null ? null : Number(args[1]));
    default:
      throw new QuorumError('invalid-input', `Unknown sandbox method ${method}.`);
  }
}

function onMessage(raw: unknown): void {
  const msg = raw as ParentMessage;
  if (msg?.type === 'start') {
    if (sandbox || stopping) return;
    startSandbox({ ...msg.options, onLog: (line) => send({ type: 'log', line }) })
      .then((sb) => {
        sandbox = sb;
        send({ type: 'ready', description: sb.describe(), startInfo: sb.startInfo });
      })
      .catch((err: unknown) => {
        send({ type: 'start-failed', error: serializeError(err) });
        void shutdown(1);
      });
  } else if (msg?.type === 'call') {
    const sb = sandbox;
    const run = sb && isSandboxMethod(msg.method)
      ? call(sb, msg.method, msg.args)
      : Promise.reject(new QuorumError('sandbox-failed', 'The sandbox is not running.'));
    run.then(
      (value) => send({ type: 'result', id: msg.id, ok: true, value: value ?? null }),
      (err: unknown) => send({ type: 'result', id: msg.id, ok: false, error: serializeError(err) }),
    );
  } else if (msg?.type === 'stop') {
    const id = msg.id;
    void (async () => {
      await sandbox?.stop().catch(() => undefined);
      sandbox = undefined;
      send({ type: 'stopped', id });
      await shutdown(0);
    })();
  }
}

channel.onMessage(onMessage);
channel.onParentGone(() => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
