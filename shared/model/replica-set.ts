/**
 * What Quorum reads from `replSetGetStatus` and the replica-set config,
 * parsed into plain readonly records. Both shapes juju-db can have are
 * accepted:
 *
 * - MongoDB 2.4 (what Juju 1.25 runs): a member's `optime` is a bare BSON
 *   Timestamp beside `optimeDate`, there is no `term`, the reporting
 *   member's own message is in `errmsg`, and the config is the document of
 *   `local.system.replset` (no `replSetGetConfig`, no `settings.replicaSetId`
 *   or `protocolVersion`);
 * - MongoDB 3.2+ (protocol version 1): `optime` is `{ ts, t }`, the config
 *   comes wrapped as `replSetGetConfig`'s `{ config }`.
 *
 * The clients hand back BSON values (`Long`, `Timestamp`, `Int32`, `Double`,
 * `Date`), from either of bson's two builds (ESM and the driver's CJS), so
 * nothing here uses `instanceof` on a bson class: values are duck-typed,
 * which also keeps the model free of any driver import and testable with
 * plain objects.
 */

/** MongoDB member states (`rs.status().members[].state`), by their `stateStr`. */
export const MEMBER_STATES = [
  'STARTUP',
  'PRIMARY',
  'SECONDARY',
  'RECOVERING',
  'STARTUP2',
  'UNKNOWN',
  'ARBITER',
  'DOWN',
  'ROLLBACK',
  'REMOVED',
] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

/** MongoDB's numeric codes; 4 is unused. */
const STATE_BY_CODE: Readonly<Record<number, MemberState>> = {
  0: 'STARTUP',
  1: 'PRIMARY',
  2: 'SECONDARY',
  3: 'RECOVERING',
  5: 'STARTUP2',
  6: 'UNKNOWN',
  7: 'ARBITER',
  8: 'DOWN',
  9: 'ROLLBACK',
  10: 'REMOVED',
};

/** The tag Juju's peergrouper puts on every member to name its machine. */
export const JUJU_MACHINE_TAG = 'juju-machine-id';

export interface MemberConfigRecord {
  readonly id: number;
  readonly host: string;
  /** MongoDB's default is 1; Juju sets 0 (and priority 0) for non-voters. */
  readonly votes: number;
  readonly priority: number;
  readonly tags: Readonly<Record<string, string>>;
}

export interface ReplicaSetConfigRecord {
  readonly name: string;
  readonly version: number;
  readonly members: readonly MemberConfigRecord[];
}

export interface MemberStatusRecord {
  readonly id: number;
  readonly name: string;
  readonly state: MemberState;
  /** 1 when the reporting member can reach it (always 1 for itself). */
  readonly health: number;
  /** Last applied operation time, in seconds since the epoch (fractions allowed), when known. */
  readonly optimeSeconds: number | null;
  readonly self: boolean;
  /** Why a member is unhealthy, when MongoDB says (`lastHeartbeatMessage`, `infoMessage`). */
  readonly message: string | null;
}

export interface ReplicaSetStatusRecord {
  readonly set: string;
  readonly members: readonly MemberStatusRecord[];
}

/**
 * States in which a member is a working part of the set: up, known to the
 * reporting member, and able to vote in an election.
 */
export function isHealthyMemberState(state: MemberState): boolean {
  return state === 'PRIMARY' || state === 'SECONDARY' || state === 'ARBITER' || state === 'RECOVERING' || state === 'STARTUP2' || state === 'ROLLBACK';
}

/** Health as Quorum shows it: reachable (health 1) and in a working state. */
export function isHealthyMember(member: Pick<MemberStatusRecord, 'health' | 'state'>): boolean {
  return member.health === 1 && isHealthyMemberState(member.state);
}

/** `host:port` without the port, for matching members to machine addresses. */
export function hostOnly(hostPort: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostPort);
  if (bracketed) return bracketed[1] ?? hostPort;
  const colons = hostPort.split(':').length - 1;
  if (colons === 1) return hostPort.slice(0, hostPort.lastIndexOf(':'));
  return hostPort;
}

export function parseReplSetConfig(reply: unknown): ReplicaSetConfigRecord {
  const root = asRecord(reply);
  const config = asRecord(root?.['config']) ?? root;
  if (config === null) throw new TypeError('replSetGetConfig reply is not a document');
  const members = asArray(config['members']).flatMap((raw): MemberConfigRecord[] => {
    const m = asRecord(raw);
    const id = toNumber(m?.['_id']);
    const host = m?.['host'];
    if (m === null || id === null || typeof host !== 'string') return [];
    const tags: Record<string, string> = {};
    for (const [key, value] of Object.entries(asRecord(m['tags']) ?? {})) {
      if (typeof value === 'string') tags[key] = value;
    }
    return [{ id, host, votes: toNumber(m['votes']) ?? 1, priority: toNumber(m['priority']) ?? 1, tags }];
  });
  return { name: typeof config['_id'] === 'string' ? config['_id'] : '', version: toNumber(config['version']) ?? 0, members };
}

export function parseReplSetStatus(reply: unknown): ReplicaSetStatusRecord {
  const root = asRecord(reply);
  if (root === null) throw new TypeError('replSetGetStatus reply is not a document');
  const members = asArray(root['members']).flatMap((raw): MemberStatusRecord[] => {
    const m = asRecord(raw);
    const id = toNumber(m?.['_id']);
    if (m === null || id === null) return [];
    // 2.4 puts the reporting member's own message in `errmsg`; later servers in `infoMessage`.
    const message = [m['lastHeartbeatMessage'], m['infoMessage'], m['errmsg']].find((v): v is string => typeof v === 'string' && v.length > 0);
    return [
      {
        id,
        name: typeof m['name'] === 'string' ? m['name'] : '',
        state: parseMemberState(m['state'], m['stateStr']),
        health: toNumber(m['health']) ?? 0,
        optimeSeconds: optimeSeconds(m['optimeDate'], m['optime']),
        self: m['self'] === true,
        message: message ?? null,
      },
    ];
  });
  return { set: typeof root['set'] === 'string' ? root['set'] : '', members };
}

/** The numeric code wins: MongoDB spells DOWN as "(not reachable/healthy)". */
export function parseMemberState(code: unknown, label: unknown): MemberState {
  const n = toNumber(code);
  if (n !== null) {
    const state = STATE_BY_CODE[n];
    if (state !== undefined) return state;
  }
  if (typeof label === 'string' && (MEMBER_STATES as readonly string[]).includes(label)) return label as MemberState;
  return 'UNKNOWN';
}

function optimeSeconds(optimeDate: unknown, optime: unknown): number | null {
  if (optimeDate instanceof Date) return optimeDate.getTime() / 1000;
  if (typeof optimeDate === 'string') {
    const ms = Date.parse(optimeDate);
    if (!Number.isNaN(ms)) return ms / 1000;
  }
  // MongoDB ≥ 3.2 (protocol version 1): `{ ts: Timestamp, t: Long }`; 2.4–3.0: a bare Timestamp.
  const record = asRecord(optime);
  const ts = record !== null && record['_bsontype'] !== 'Timestamp' && 'ts' in record ? record['ts'] : optime;
  return timestampSeconds(ts);
}

/** A BSON Timestamp's seconds (its high 32 bits), duck-typed (either bson build; `{ t, i }` as plain data). */
function timestampSeconds(value: unknown): number | null {
  const record = asRecord(value);
  if (record === null) return null;
  if (record['_bsontype'] !== undefined && record['_bsontype'] !== 'Timestamp') return null;
  const getHighBits = record['getHighBits'];
  if (typeof getHighBits === 'function') {
    const high = (getHighBits as () => unknown).call(value);
    return typeof high === 'number' ? high >>> 0 : null;
  }
  const t = record['t'];
  return typeof t === 'number' ? t : null;
}

/** Numbers as the driver may return them: number, `Long`/`Int32`/`Double` objects. */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return Number(value);
  const record = asRecord(value);
  if (record !== null) {
    const toNumberFn = record['toNumber'];
    if (typeof toNumberFn === 'function') {
      const n = (toNumberFn as () => unknown).call(value);
      return typeof n === 'number' && Number.isFinite(n) ? n : null;
    }
    const valueOf = record['valueOf'];
    if (typeof valueOf === 'function' && !(value instanceof Date)) {
      const n = (valueOf as () => unknown).call(value);
      if (typeof n === 'number' && Number.isFinite(n)) return n;
    }
  }
  return null;
}

export function asRecord(value: unknown): Readonly<Record<string, unknown>> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

export function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}
