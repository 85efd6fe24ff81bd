import type { SerializedError } from '../../../shared/errors';
import type { SandboxDescription, SandboxStartInfo, StartSandboxOptions } from '../types';

/**
 * Messages between the console and the sandbox child process over Node's
 * IPC channel. Start options travel in the first message rather than argv
 * or the environment, so nothing about the sandbox shows in `ps`.
 */

export const SANDBOX_METHODS = ['describe', 'powerOff', 'powerOn', 'setMemberHealthy', 'rotateHostKey', 'addMachine', 'setBlock', 'setDiskFree'] as const;
export type SandboxMethod = (typeof SANDBOX_METHODS)[number];

export type StartPayload = Omit<StartSandboxOptions, 'onLog'>;

export type ParentMessage =
  | { readonly type: 'start'; readonly options: StartPayload }
  | { readonly type: 'call'; readonly id: number; readonly method: SandboxMethod; readonly args: readonly unknown[] }
  | { readonly type: 'stop'; readonly id: number };

export type ChildMessage =
  | { readonly type: 'ready'; readonly description: SandboxDescription; readonly startInfo: SandboxStartInfo }
  | { readonly type: 'start-failed'; readonly error: SerializedError }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: SerializedError }
  | { readonly type: 'stopped'; readonly id: number };

export function isSandboxMethod(value: unknown): value is SandboxMethod {
  return typeof value === 'string' && (SANDBOX_METHODS as readonly string[]).includes(value);
}
