import { parseMemberState } from '../../../../shared/model/replica-set';

/** MongoDB's replica set member states (`myState`, `state`, `stateStr`). */
export const MemberState = {
  STARTUP: 0,
  PRIMARY: 1,
  SECONDARY: 2,
  RECOVERING: 3,
  STARTUP2: 5,
  UNKNOWN: 6,
  ARBITER: 7,
  DOWN: 8,
  ROLLBACK: 9,
  REMOVED: 10,
} as const;

export type MemberStateCode = (typeof MemberState)[keyof typeof MemberState];

/** The `stateStr` MongoDB reports for a code (one table, shared with Quorum's own model). */
export function stateStr(s: number): string {
  return parseMemberState(s, undefined);
}
