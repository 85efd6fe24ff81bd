import { machinePresenceKey } from '../../../shared/model/presence';
import type { MemberAuth, MemberEndpoint } from '../seed/seed-db';
import { getBlock, switchBlock, type BlockKind } from './blocks';
import type { AgentAliveFn } from './context';
import { JujuState } from './state';

/**
 * Hooks for the sandbox orchestrator (running-sandbox.ts / sandbox.ts),
 * which owns the juju-db cluster, the Mongo admin credentials and the
 * presence supervisor.
 */

export interface SandboxStateTarget {
  readonly envUuid: string;
  /** Running juju-db members and their local ports. */
  readonly members: () => readonly MemberEndpoint[];
  /** The sandbox's own juju-db login (`admin` / machine 0's oldpassword). */
  readonly auth: MemberAuth;
}

/**
 * The sandbox control `setBlock(kind, message | null)`: what `juju block
 * <kind> [message]` / `juju unblock <kind>` leave in `juju.blocks`. Setting
 * a block that is already on replaces its message (the CLI would refuse
 * with `block … is already ON`; a control just wants the state).
 */
export async function setSandboxBlock(target: SandboxStateTarget, kind: BlockKind, message: string | null): Promise<void> {
  const state = new JujuState(target);
  try {
    if ((await getBlock(state, kind)) !== null) await switchBlock(state, kind, null);
    if (message !== null) await switchBlock(state, kind, message);
  } finally {
    await state.close();
  }
}

/**
 * Agent presence from the sandbox's presence supervisor (keys of agents
 * pinging now, `SandboxPresence.pinging()`): immediate, where Juju's
 * presence reads lag up to a minute behind an agent that stopped.
 */
export function agentAliveFromPinging(pinging: () => readonly string[]): AgentAliveFn {
  return (ids) => {
    const keys = new Set(pinging());
    return Promise.resolve(new Map(ids.map((id) => [id, keys.has(machinePresenceKey(id))])));
  };
}
