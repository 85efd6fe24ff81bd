import { z } from 'zod';

/**
 * Sandbox-only controls, so failover, quorum loss and host-key changes can be
 * exercised on a laptop. Refused with `forbidden` when the selected
 * environment is not the sandbox: these never touch a real machine.
 */

const machineIdSchema = z.string().regex(/^\d{1,4}$/, 'a machine id such as 0');

export const sandboxRequests = {
  'sandbox.powerOff': { request: z.object({ machineId: machineIdSchema }).strict(), response: z.object({}) },
  'sandbox.powerOn': { request: z.object({ machineId: machineIdSchema }).strict(), response: z.object({}) },
  /** Gives the machine a new SSH host key (Quorum must then refuse it); returns the new fingerprint. */
  'sandbox.rotateHostKey': {
    request: z.object({ machineId: machineIdSchema }).strict(),
    response: z.object({ fingerprint: z.string() }),
  },
} as const;
