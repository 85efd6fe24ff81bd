import { z } from 'zod';
import { serializedErrorSchema } from '../envelope';
import { MACHINE_LIVES } from '../../model/juju-documents';
import { MEMBER_STATES } from '../../model/replica-set';
import { TOPOLOGY_STATUSES, type TopologySnapshot } from '../../model/topology-snapshot';
import { MACHINE_JOBS, VOTE_STATUSES } from '../../model/vote-status';

/**
 * Topology: the live view of the selected environment's machines, state
 * servers, replica-set members and quorum. The main side polls once per
 * interval per environment, however many windows watch, and pushes
 * `topology.changed` only when something visible changed.
 */

const memberSchema = z.object({
  memberId: z.number().int(),
  host: z.string(),
  state: z.enum(MEMBER_STATES),
  healthy: z.boolean(),
  voting: z.boolean(),
  isPrimary: z.boolean(),
  lagSeconds: z.number().nonnegative().nullable(),
  message: z.string().nullable(),
});

const machineSchema = z.object({
  id: z.string(),
  instanceId: z.string().nullable(),
  instanceState: z.string().nullable(),
  address: z.string().nullable(),
  series: z.string().nullable(),
  hardware: z.string().nullable(),
  agentState: z.string(),
  agentStateInfo: z.string().nullable(),
  agentVersion: z.string().nullable(),
  jobs: z.array(z.enum(MACHINE_JOBS)).readonly(),
  life: z.enum(MACHINE_LIVES),
  isStateServer: z.boolean(),
  voteStatus: z.enum(VOTE_STATUSES).nullable(),
  member: memberSchema.nullable(),
  isPrimary: z.boolean(),
  reachable: z.boolean(),
  agentPresent: z.boolean().nullable().optional(),
  stale: z.boolean(),
});

const quorumSchema = z.object({
  voting: z.number().int().nonnegative(),
  majority: z.number().int().nonnegative(),
  healthyVoters: z.number().int().nonnegative(),
  holds: z.boolean(),
  survivesFailures: z.number().int().nonnegative(),
  sentence: z.string(),
});

export const topologySchema = z.object({
  environmentId: z.string(),
  machines: z.array(machineSchema).readonly(),
  primary: z.string().nullable(),
  quorum: quorumSchema,
  extraMembers: z.array(memberSchema).readonly(),
  readFrom: z.string().nullable(),
  stale: z.boolean(),
  observedAt: z.string(),
});

export const topologySnapshotSchema = z.object({
  environmentId: z.string().nullable(),
  status: z.enum(TOPOLOGY_STATUSES),
  topology: topologySchema.nullable(),
  error: serializedErrorSchema.nullable(),
});

// The wire schema and the model must describe the same thing: each must be assignable to the other.
type Wire = z.output<typeof topologySnapshotSchema>;
type MutuallyAssignable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const wireMatchesModel: MutuallyAssignable<Wire, TopologySnapshot> = true;
void wireMatchesModel;

export const topologyRequests = {
  /** The latest snapshot for the selected environment (does not start polling by itself). */
  'topology.get': { request: z.object({}).strict(), response: topologySnapshotSchema },
  /**
   * A window says whether it shows the topology. Polling runs while at least
   * one window watches; a watch is a lease the window renews (at least every
   * 20 s) so a crashed window cannot keep it polling forever.
   */
  'topology.watch': { request: z.object({ active: z.boolean() }).strict(), response: topologySnapshotSchema },
} as const;

export const topologyEvents = {
  /** Pushed only when the snapshot changed (at most once per poll interval). */
  'topology.changed': topologySnapshotSchema,
} as const;
