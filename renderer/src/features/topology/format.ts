import type { MachineView, MemberView } from '../../../../shared/model/topology';

/** Short texts shared by cards, rows and the detail panel. */

export function lagText(member: MemberView | null): string {
  if (member === null || member.lagSeconds === null) return '—';
  return member.lagSeconds === 0 ? 'up to date' : `${member.lagSeconds} s behind`;
}

export function healthText(member: MemberView | null): string {
  if (member === null) return 'not a replica-set member';
  return member.healthy ? 'healthy' : 'unhealthy';
}

export function memberStateText(member: MemberView | null): string {
  return member === null ? 'no member' : member.state;
}

/** `started`, or `down (started)` as `juju status` puts it. */
export function agentText(machine: MachineView): string {
  return machine.agentStateInfo === null ? machine.agentState : `${machine.agentState} ${machine.agentStateInfo}`;
}

export function machineLabel(id: string): string {
  return `Machine ${id}`;
}
