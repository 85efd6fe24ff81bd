import { describe, expect, it } from 'vitest';
import { QuorumError } from '../../../shared/errors';
import { sandboxHandlers } from './register-topology';

function wiring(selected: string) {
  const calls: string[] = [];
  const refreshes: number[] = [];
  const handlers = sandboxHandlers(
    {
      environments: { selectedId: async () => selected, resolveTarget: async () => never(), onSelected: () => () => undefined },
      sandbox: {
        ensureStarted: async () => ({
          powerOff: async (id: string) => void calls.push(`off ${id}`),
          powerOn: async (id: string) => void calls.push(`on ${id}`),
          rotateHostKey: async (id: string) => (calls.push(`rotate ${id}`), 'SHA256:new'),
        }),
      },
    },
    { refresh: async () => void refreshes.push(1) },
  );
  return { handlers, calls, refreshes };
}

function never(): never {
  throw new Error('not used');
}

const ctx = { sender: { host: 'browser' as const, id: '1' }, log: undefined as never };

describe('sandbox handlers', () => {
  it('act on the sandbox and read the topology again at once', async () => {
    const { handlers, calls, refreshes } = wiring('sandbox');
    await handlers['sandbox.powerOff']!({ machineId: '0' }, ctx);
    await handlers['sandbox.powerOn']!({ machineId: '0' }, ctx);
    expect(await handlers['sandbox.rotateHostKey']!({ machineId: '1' }, ctx)).toEqual({ fingerprint: 'SHA256:new' });
    expect(calls).toEqual(['off 0', 'on 0', 'rotate 1']);
    expect(refreshes).toHaveLength(2);
  });

  it('are refused with forbidden for any other environment, touching nothing', async () => {
    const { handlers, calls } = wiring('juju:prod');
    for (const channel of ['sandbox.powerOff', 'sandbox.powerOn', 'sandbox.rotateHostKey'] as const) {
      const error = await handlers[channel]!({ machineId: '0' }, ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QuorumError);
      expect((error as QuorumError).code).toBe('forbidden');
    }
    expect(calls).toEqual([]);
  });
});
