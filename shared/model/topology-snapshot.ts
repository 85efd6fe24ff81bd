/**
 * What the topology service publishes for the selected environment: the
 * latest topology plus where the live view stands. An error keeps the last
 * known topology (marked stale) beside it, so machines never vanish when a
 * connection fails.
 */

import type { SerializedError } from '../errors';
import { deepEqual, sameTopology, type Topology } from './topology';

export const TOPOLOGY_STATUSES = ['idle', 'loading', 'ready', 'error'] as const;
/**
 * `idle`: no environment is watched; `loading`: the first read is under way;
 * `ready`: the topology was read this round; `error`: the last round failed
 * (the topology, if any, is the last known one, marked stale).
 */
export type TopologyStatus = (typeof TOPOLOGY_STATUSES)[number];

export interface TopologySnapshot {
  readonly environmentId: string | null;
  readonly status: TopologyStatus;
  readonly topology: Topology | null;
  /** The connection layer's actionable error when `status` is `error`. */
  readonly error: SerializedError | null;
}

export const IDLE_SNAPSHOT: TopologySnapshot = Object.freeze({ environmentId: null, status: 'idle', topology: null, error: null });

/** True when publishing `next` after `previous` would show nothing new. */
export function sameSnapshot(previous: TopologySnapshot | null, next: TopologySnapshot): boolean {
  if (previous === null) return false;
  if (previous.environmentId !== next.environmentId || previous.status !== next.status) return false;
  if (!deepEqual(previous.error, next.error)) return false;
  if (previous.topology === null || next.topology === null) return previous.topology === next.topology;
  return sameTopology(previous.topology, next.topology);
}
