/**
 * Facts a member derives from what it can see: who the primary is and which
 * optime a majority of voters has applied.
 */
import type { ReplicaNode } from '../node';
import { compareOpTime, NULL_OPTIME, type OpTime } from '../oplog';
import { memberByHost, votingMembers } from './config';

export function visiblePrimary(node: ReplicaNode): ReplicaNode | undefined {
  if (node.isPrimary) return node;
  return node.hooks.visibleFrom(node).find((n) => n.isPrimary && memberByHost(node.config, n.host));
}

/** The newest optime applied by a majority of voting members this node can see. */
export function majorityOpTime(node: ReplicaNode): OpTime {
  const cfg = node.config;
  if (!cfg) return NULL_OPTIME;
  const visible = node.hooks.visibleFrom(node);
  const voters = votingMembers(cfg);
  const optimes = voters
    .map((m) => visible.find((n) => n.host.toLowerCase() === m.host.toLowerCase())?.lastApplied ?? NULL_OPTIME)
    .sort((a, b) => compareOpTime(b, a));
  const needed = Math.floor(voters.length / 2) + 1;
  return optimes[needed - 1] ?? NULL_OPTIME;
}

export function findMember(node: ReplicaNode, host: string): ReplicaNode | undefined {
  return node.hooks.visibleFrom(node).find((n) => n.host.toLowerCase() === host.toLowerCase());
}

export { memberByHost };
