import { z } from 'zod';
import { serializedErrorSchema } from '../envelope';
import { operationStartedSchema } from '../operations';
import { VOTE_STATUSES } from '../../model/vote-status';

/**
 * High availability (issue 11): the state-server count slider, the plan
 * preview in Juju's words, applying it through Juju's own API
 * (`HighAvailability.EnsureAvailability`, as `juju ensure-availability`
 * does), following the new machines to `has-vote`, and the guided recovery
 * from failed state servers. Nothing secret crosses this contract: the admin
 * password goes in through `ha.setAdminPassword` and never comes back out.
 */

const environmentId = z.string().min(1).max(80);
/** juju/names machine id (`0`, `12`, `1/lxc/0`). */
const machineId = z.string().regex(/^(?:0|[1-9][0-9]*)(?:\/[a-z]+\/(?:0|[1-9][0-9]*))*$/, 'a machine id such as 3');
const voteStatus = z.enum(VOTE_STATUSES);

/**
 * What `juju ensure-availability [-n N] [--series S] [--constraints C] [--to P,…]`
 * takes. `n` is not limited to 1/3/5/7 here: a wrong count is answered in
 * Juju's words by the preview (`number of state servers must be odd and
 * non-negative`), exactly as the server would.
 */
export const ensureAvailabilitySpecSchema = z
  .object({
    environmentId,
    /** `-n`; 0 means "the current voting count, or 3". */
    n: z.number().int().min(-99).max(99),
    series: z.string().trim().max(32).regex(/^[a-z0-9-]*$/, 'a series such as trusty').optional(),
    /** Juju's constraints syntax, e.g. `mem=4G cpu-cores=2`. */
    constraints: z.string().trim().max(500).optional(),
    /** `--to` directives as the CLI takes them: existing machine ids (`4`) or provider directives. */
    placement: z.array(z.string().trim().min(1).max(100)).max(7).optional(),
  })
  .strict();
export type EnsureAvailabilitySpec = z.input<typeof ensureAvailabilitySpecSchema>;

/** One machine as the HA page shows it. */
export const haMachineSchema = z.object({
  machineId: z.string(),
  address: z.string().nullable(),
  series: z.string().nullable(),
  /** `agent-state`: `pending`, `started`, `down`… */
  agentState: z.string(),
  isStateServer: z.boolean(),
  /** `state-server-member-status`; null when not a state server. */
  voteStatus: voteStatus.nullable(),
  wantsVote: z.boolean(),
  hasVote: z.boolean(),
  /** Agent present: what Juju's rules call "available". */
  available: z.boolean(),
  isPrimary: z.boolean(),
  /** The replica-set member's health; null without a member. */
  memberHealthy: z.boolean().nullable(),
});
export type HaMachine = z.infer<typeof haMachineSchema>;

export const countStopSchema = z.object({
  n: z.union([z.literal(1), z.literal(3), z.literal(5), z.literal(7)]),
  enabled: z.boolean(),
  current: z.boolean(),
  /** Juju's words when disabled (`cannot reduce state server count`). */
  reason: z.string().nullable(),
});

export const rerunHazardSchema = z.object({ id: z.string(), wouldDemote: z.boolean(), reason: z.string() });
export type RerunHazardView = z.infer<typeof rerunHazardSchema>;

const quorumSchema = z.object({
  voting: z.number().int().nonnegative(),
  majority: z.number().int().nonnegative(),
  healthyVoters: z.number().int().nonnegative(),
  holds: z.boolean(),
  survivesFailures: z.number().int().nonnegative(),
  sentence: z.string(),
});

/** Where the admin password comes from: the `.jenv`, typed by the operator, or nowhere yet. */
export const adminPasswordSourceSchema = z.enum(['jenv', 'entered', 'missing']);

export const haStatusSchema = z.object({
  environmentId: z.string(),
  /** `ready`: live facts; `stale`: last known facts (state servers unreachable); `loading`/`unavailable`: none yet. */
  facts: z.enum(['loading', 'ready', 'stale', 'unavailable']),
  factsError: serializedErrorSchema.nullable(),
  observedAt: z.string().nullable(),
  stateServers: z.array(haMachineSchema),
  /** Machines `--to` may name: alive, not state servers, not containers. */
  placementCandidates: z.array(haMachineSchema),
  /** `len(stateServers.votingMachineIds)`: state servers that want a vote (what "cannot reduce" compares). */
  votingCount: z.number().int().nonnegative(),
  /** State servers holding a vote in the replica set right now. */
  hasVoteCount: z.number().int().nonnegative(),
  stops: z.array(countStopSchema),
  /** LP 1384549: non-empty means a new run is refused unless overridden. */
  hazards: z.array(rerunHazardSchema),
  adminPassword: adminPasswordSourceSchema,
  quorum: quorumSchema.nullable(),
  /** Fewer than a majority of voters up: only a restore recovers. */
  quorumLost: z.boolean(),
  /** A state server is down while a majority remains: the recovery flow applies. */
  recoverable: z.boolean(),
  /** A state server is pending, adding-vote or removing-vote: a change is settling. */
  settling: z.boolean(),
  /** The running `ha.apply` operation, if any (the slider is disabled meanwhile). */
  applyOperationId: z.string().nullable(),
  /** One operator sentence on where HA stands. */
  sentence: z.string(),
});
export type HaStatus = z.infer<typeof haStatusSchema>;

/** `params.StateServersChanges`: machine tags per list, as the API returns them. */
export const stateServersChangesSchema = z.object({
  added: z.array(z.string()).readonly().optional(),
  maintained: z.array(z.string()).readonly().optional(),
  removed: z.array(z.string()).readonly().optional(),
  promoted: z.array(z.string()).readonly().optional(),
  demoted: z.array(z.string()).readonly().optional(),
  converted: z.array(z.string()).readonly().optional(),
});

export const MAP_CHANGES = ['maintain', 'add', 'promote', 'demote', 'remove', 'convert'] as const;

/** One machine of the before/after state-server map. */
export const mapEntrySchema = z.object({
  machineId: z.string(),
  /** True for machines the call creates (their ids are a guess: Juju's sequence decides). */
  isNew: z.boolean(),
  change: z.enum(MAP_CHANGES).nullable(),
  voteStatus: voteStatus.nullable(),
  available: z.boolean(),
});
export type MapEntry = z.infer<typeof mapEntrySchema>;

export const haPreviewSchema = z.object({
  environmentId: z.string(),
  /** The count Juju will aim for (`-n 0` resolved). */
  desired: z.number().int().nullable(),
  /** Juju's `--format simple` lines (`maintaining machines: 0`, `adding machines: 1, 2`); empty for a no-op. */
  lines: z.array(z.string()),
  noOp: z.boolean(),
  changes: stateServersChangesSchema,
  /** State servers now, and right after the call (before the peergrouper moves votes). */
  before: z.array(mapEntrySchema),
  after: z.array(mapEntrySchema),
  /** Juju's own words when the server (or the CLI) would refuse, else null. */
  error: z.string().nullable(),
  /** What to do about `error`. */
  advice: z.string().nullable(),
  /** Non-empty: `ha.apply` refuses unless `overrideRerunGuard` (LP 1384549). */
  hazards: z.array(rerunHazardSchema),
});
export type HaPreview = z.infer<typeof haPreviewSchema>;

export const HA_APPLY_PHASES = ['calling-api', 'waiting-for-machines', 'waiting-for-votes', 'done'] as const;

/** `result` of a succeeded `ha.apply` operation. */
export const haApplyResultSchema = z.object({
  /** The API's answer in the CLI's words. */
  lines: z.array(z.string()),
  changes: stateServersChangesSchema,
  previewLines: z.array(z.string()),
  matchedPreview: z.boolean(),
  /** One sentence per list that differs from the preview. */
  differences: z.array(z.string()),
  /** From Apply (the operation's start) to every wanted vote held and every new machine started. */
  settledMs: z.number().nonnegative().nullable(),
});
export type HaApplyResult = z.infer<typeof haApplyResultSchema>;

export const recoveryPlanSchema = z.object({
  environmentId: z.string(),
  situation: z.enum(['healthy', 'settling', 'recoverable', 'quorum-lost', 'unknown']),
  /** 1: ensure-availability (demote + add); 2: ensure-availability again (remove); 3: remove the machines. */
  step: z.union([z.literal(1), z.literal(2), z.literal(3)]).nullable(),
  failedMachineIds: z.array(z.string()),
  /** What the step does, or why none applies. */
  sentence: z.string(),
  /** Set while the step cannot run yet: what to wait for. */
  waitFor: z.string().nullable(),
  /** Steps 1 and 2: the ensure-availability plan to run with `ha.apply` (`n` = preview.desired). */
  preview: haPreviewSchema.nullable(),
  /** Step 3: the machines to pass to `ha.removeMachines`. */
  removeMachineIds: z.array(z.string()),
});
export type RecoveryPlan = z.infer<typeof recoveryPlanSchema>;

export const haRequests = {
  'ha.status': { request: z.object({ environmentId }).strict(), response: haStatusSchema },
  'ha.preview': { request: ensureAvailabilitySpecSchema, response: haPreviewSchema },
  /** An operation (`ha.apply`); its result is `haApplyResultSchema`, its progress also comes as `ha.applyProgress`. */
  'ha.apply': {
    request: ensureAvailabilitySpecSchema.extend({ overrideRerunGuard: z.boolean().optional() }).strict(),
    response: operationStartedSchema,
  },
  /** Kept in memory only, registered as a secret; checked with `Admin.Login` when the API answers. */
  'ha.setAdminPassword': {
    request: z.object({ environmentId, password: z.string().min(1).max(1024) }).strict(),
    response: z.object({ verified: z.boolean() }),
  },
  /** `juju remove-machine [--force]` (`Client.DestroyMachines`): recovery step 3. */
  'ha.removeMachines': {
    request: z.object({ environmentId, machineIds: z.array(machineId).min(1).max(7), force: z.boolean().optional() }).strict(),
    response: z.object({ removed: z.array(z.string()) }),
  },
  'ha.recoveryPlan': { request: z.object({ environmentId }).strict(), response: recoveryPlanSchema },
} as const;

export const haApplyProgressSchema = z.object({
  operationId: z.string(),
  environmentId: z.string(),
  phase: z.enum(HA_APPLY_PHASES),
  /** The state servers as the last topology read showed them. */
  machines: z.array(z.object({ machineId: z.string(), agentState: z.string(), voteStatus: voteStatus.nullable() })),
  /** The API's answer in the CLI's words, once it came. */
  lines: z.array(z.string()).nullable(),
  matchedPreview: z.boolean().nullable(),
});
export type HaApplyProgress = z.infer<typeof haApplyProgressSchema>;

export const haEvents = {
  /** The HA status of the selected environment changed (pushed with the topology). */
  'ha.changed': haStatusSchema,
  /** Per-machine progress of a running `ha.apply`. */
  'ha.applyProgress': haApplyProgressSchema,
} as const;
