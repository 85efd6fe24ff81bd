import { z } from 'zod';
import { serializedErrorSchema } from '../envelope';

/**
 * The connection to the selected environment's state servers: per-server
 * state, and the two decisions only the operator can make (trust an unknown
 * host key after checking its fingerprint; give a key's passphrase).
 *
 * The renderer never sends key material: `trustHostKey` names a host and the
 * fingerprint the operator confirmed, and main trusts the key the host
 * presents at that moment only if it has that fingerprint. The passphrase
 * travels once, is kept in main's memory only and is never echoed back.
 */

const environmentIdSchema = z.string().min(1).max(80);

/** OpenSSH's `SHA256:<43 base64 characters>` fingerprint. */
export const sshFingerprintSchema = z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH SHA256 fingerprint');

export const connectionStateSchema = z.enum(['connecting', 'connected', 'unreachable', 'error']);
export type ConnectionState = z.infer<typeof connectionStateSchema>;

export const stateServerConnectionSchema = z.object({
  /** The machine address Juju records, e.g. `10.23.0.10`. */
  address: z.string(),
  /** From the machine's agent.conf, once read. */
  machineId: z.string().nullable(),
  state: connectionStateSchema,
  /** Why it is unreachable or in error (host-key-unknown carries host, port, fingerprint, keyType in details). */
  error: serializedErrorSchema.optional(),
});
export type StateServerConnection = z.infer<typeof stateServerConnectionSchema>;

export const connectionStatusSchema = z.object({
  environmentId: z.string(),
  stateServers: z.array(stateServerConnectionSchema),
});
export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;

export const connectionRequests = {
  'connection.status': {
    request: z.object({ environmentId: environmentIdSchema }).strict(),
    response: connectionStatusSchema,
  },
  /** Trust the host key `host:port` presents now, if it has `fingerprint`; then reconnect. */
  'connection.trustHostKey': {
    request: z
      .object({
        environmentId: environmentIdSchema,
        host: z.string().min(1).max(253),
        port: z.number().int().min(1).max(65535),
        fingerprint: sshFingerprintSchema,
      })
      .strict(),
    response: z.object({ fingerprint: sshFingerprintSchema, keyType: z.string() }),
  },
  /** The passphrase of the environment's SSH key; kept in memory for this run only. */
  'connection.providePassphrase': {
    request: z
      .object({
        environmentId: environmentIdSchema,
        passphrase: z.string().min(1, 'enter the passphrase').max(1024),
      })
      .strict(),
    response: z.object({}),
  },
  /** Retry every state server that is not connected, now rather than at the next backoff step. */
  'connection.retry': {
    request: z.object({ environmentId: environmentIdSchema }).strict(),
    response: z.object({}),
  },
} as const;

export const connectionEvents = {
  /** A state server of the selected environment changed state. */
  'connection.changed': connectionStatusSchema,
} as const;
