import { describe, expect, it } from 'vitest';
import { SecretRegistry } from '../../shared/redact';
import type { SandboxDescription } from '../sandbox/types';
import { createMemoryLogger } from './log';
import { createSandboxLauncher, type SandboxHandle, type SandboxStarter } from './sandbox-launcher';

const description = { environment: { name: 'sandbox' }, machines: [] } as unknown as SandboxDescription;

/** A starter that counts starts and stops; the real child process is covered by the sandbox's own integration tests. */
function counting(failFirst = false) {
  const counts = { starts: 0, stops: 0 };
  const starter: SandboxStarter = async () => {
    counts.starts++;
    await new Promise((r) => setTimeout(r, 10));
    if (failFirst && counts.starts === 1) throw new Error('port in use');
    const handle: SandboxHandle = {
      describe: async () => description,
      powerOff: async () => {},
      powerOn: async () => {},
      setMemberHealthy: async () => {},
      rotateHostKey: async () => 'SHA256:x',
      addMachine: async () => ({}) as never,
      setBlock: async () => {},
      stop: async () => {
        counts.stops++;
      },
    };
    return handle;
  };
  return { counts, starter };
}

const log = createMemoryLogger(new SecretRegistry());

describe('sandbox launcher', () => {
  it('starts lazily and once, however many callers race for it', async () => {
    const { counts, starter } = counting();
    const launcher = createSandboxLauncher({ home: '/q', log, start: starter });
    expect(launcher.running()).toBeNull();
    expect(launcher.peek()).toBeNull();
    expect(counts.starts).toBe(0);
    const [a, b] = await Promise.all([launcher.ensureStarted(), launcher.ensureStarted(), launcher.describe()]);
    expect(a).toBe(b);
    expect(counts.starts).toBe(1);
    expect(launcher.peek()).toBe(description);
    await launcher.stop();
    expect(counts.stops).toBe(1);
    await expect(launcher.ensureStarted()).rejects.toThrow(/shutting down/);
  });

  it('does not cache a failed start', async () => {
    const { counts, starter } = counting(true);
    const launcher = createSandboxLauncher({ home: '/q', log, start: starter });
    await expect(launcher.ensureStarted()).rejects.toThrow(/port in use/);
    await expect(launcher.ensureStarted()).resolves.toBeTruthy();
    expect(counts.starts).toBe(2);
    await launcher.stop();
  });

  it('stops a sandbox that was still starting when the console quit', async () => {
    const { counts, starter } = counting();
    const launcher = createSandboxLauncher({ home: '/q', log, start: starter });
    const starting = launcher.ensureStarted();
    await launcher.stop();
    await expect(starting).rejects.toThrow(/shutting down/);
    expect(counts.stops).toBe(1);
  });
});
