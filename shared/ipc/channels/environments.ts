import { z } from 'zod';
import { serializedErrorSchema } from '../envelope';

/**
 * Environments: the built-in sandbox, Juju 1.x client environments found in
 * `$JUJU_HOME` (`.jenv` files), and environments added by hand.
 */

export const environmentKindSchema = z.enum(['sandbox', 'juju', 'manual']);
export type EnvironmentKind = z.infer<typeof environmentKindSchema>;

/** A host name or IP address, optionally with `:port` (Juju's API addresses carry :17070). */
export const hostAddressSchema = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9a-fA-F:]+)(:\d{1,5})?$/, 'not a host name or address');

export const environmentNameSchema = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, dot, dash or underscore');

export const environmentSchema = z.object({
  /** Stable id: `sandbox`, `juju:<name>` or `manual:<name>`. */
  id: z.string().min(1).max(80),
  name: z.string(),
  kind: environmentKindSchema,
  /** Where it was read from (a `.jenv` path, the manual store), or null for the sandbox. */
  source: z.string().nullable(),
  /** State-server addresses as recorded (may be empty for a malformed environment). */
  stateServers: z.array(z.string()),
  sshUser: z.string(),
  sshPort: z.number().int().min(1).max(65535),
  /** Private key used for SSH; null when none is known. */
  keyFile: z.string().nullable(),
  environUuid: z.string().nullable(),
  /** True for the environment Juju would use (`JUJU_ENV`, else `current-environment`). */
  current: z.boolean(),
  /** Set when the environment cannot be used as it is (e.g. a malformed `.jenv`). */
  error: serializedErrorSchema.nullable(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const manualEnvironmentInputSchema = z
  .object({
    name: environmentNameSchema,
    stateServers: z.array(hostAddressSchema).min(1, 'at least one state-server address is required').max(7),
    sshUser: z
      .string()
      .trim()
      .min(1)
      .max(32)
      .regex(/^[a-z_][a-z0-9_-]*$/, 'not a valid user name'),
    sshPort: z.number().int().min(1).max(65535),
    keyFile: z.string().trim().min(1, 'a private key file is required').max(4096),
  })
  .strict();
export type ManualEnvironmentInput = z.infer<typeof manualEnvironmentInputSchema>;

const environmentListSchema = z.object({
  environments: z.array(environmentSchema),
  selectedId: z.string(),
});
export type EnvironmentList = z.infer<typeof environmentListSchema>;

export const environmentRequests = {
  'environments.list': { request: z.object({}).strict(), response: environmentListSchema },
  'environments.select': { request: z.object({ id: z.string().min(1).max(80) }).strict(), response: environmentListSchema },
  'environments.add': { request: manualEnvironmentInputSchema, response: environmentSchema },
  'environments.update': {
    request: z.object({ id: z.string().min(1).max(80), input: manualEnvironmentInputSchema }).strict(),
    response: environmentSchema,
  },
  'environments.remove': { request: z.object({ id: z.string().min(1).max(80) }).strict(), response: z.object({}) },
} as const;

export const environmentEvents = {
  'environments.changed': environmentListSchema,
} as const;
