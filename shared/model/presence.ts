/**
 * Juju 1.25's agent presence (`@1.25.6:state/presence/presence.go`), the
 * source of `agent-state: down` in `juju status`. Every agent's pinger owns a
 * sequence number (`presence.seqs`, one counter per environment) mapped to
 * its key in `presence.beings` (`m#<machine id>`, `u#<unit name>`); every
 * ~23 s it sets its bit in the current time slot's document of
 * `presence.pings`:
 *
 *   { _id: "<env-uuid>:<slot>", slot: <slot>,
 *     alive: { hex(seq / 63): 1 << (seq % 63) | … },
 *     dead:  { hex(seq / 63): 1 << (seq % 63) | … } }   // only when killed
 *
 * where a slot is the Unix time in seconds rounded down to the 30-s period.
 * A key is alive when its most recent sequence has a bit under `alive` in the
 * current or the previous slot and none under `dead`. Pure: the pingers of
 * the sandbox and the topology reader both follow these rules from here.
 */

/** Length of a time slot in seconds (`presence.period`). */
export const PRESENCE_PERIOD_SECONDS = 30;

/** How often a pinger pings: `(period + 1) * 0.75` s, as `Pinger.loop` waits. */
export const PRESENCE_PING_INTERVAL_MS = (PRESENCE_PERIOD_SECONDS + 1) * 0.75 * 1000;

/** Sequences per field: 63 bits of an int64 (the sign bit stays clear). */
const BITS_PER_FIELD = 63;

/** Database and collection names (`presence` database, base collection `presence`). */
export const PRESENCE_DB = 'presence';
export const PINGS_COLLECTION = 'presence.pings';
export const BEINGS_COLLECTION = 'presence.beings';
export const SEQS_COLLECTION = 'presence.seqs';

/** A machine agent's presence key (`machineGlobalKey`). */
export function machinePresenceKey(machineId: string): string {
  return `m#${machineId}`;
}

/** A unit agent's presence key (`unitAgentGlobalKey`). */
export function unitPresenceKey(unitName: string): string {
  return `u#${unitName}`;
}

/** `docIDInt64` / `docIDStr`: every presence document id carries the environment UUID. */
export function presenceDocId(envUuid: string, localId: string | number): string {
  return `${envUuid}:${localId}`;
}

/** `timeSlot`: seconds since the epoch, rounded down to the period. */
export function timeSlot(nowMs: number): number {
  const seconds = Math.floor(nowMs / 1000);
  return seconds - (seconds % PRESENCE_PERIOD_SECONDS);
}

/** The field and bit a sequence sets in a slot document (`fieldKey`, `fieldBit`). */
export function pingField(seq: number): { readonly field: string; readonly bit: bigint } {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`presence sequence out of range: ${seq}`);
  return { field: Math.floor(seq / BITS_PER_FIELD).toString(16), bit: 1n << BigInt(seq % BITS_PER_FIELD) };
}

/** The sequences whose bits are set in a slot document's `alive` or `dead` map. */
export function seqsOf(fields: ReadonlyMap<string, bigint>): number[] {
  const out: number[] = [];
  for (const [field, value] of fields) {
    const base = Number.parseInt(field, 16);
    if (!Number.isSafeInteger(base) || !/^[0-9a-f]+$/i.test(field)) continue;
    let bits = BigInt.asUintN(BITS_PER_FIELD, value);
    for (let i = 0; bits > 0n && i < BITS_PER_FIELD; i++, bits >>= 1n) {
      if ((bits & 1n) === 1n) out.push(base * BITS_PER_FIELD + i);
    }
  }
  return out;
}

export interface PingsRecord {
  readonly envUuid: string;
  readonly slot: number;
  readonly alive: ReadonlyMap<string, bigint>;
  readonly dead: ReadonlyMap<string, bigint>;
}

export interface BeingRecord {
  readonly envUuid: string;
  readonly seq: number;
  readonly key: string;
}

/** A `presence.pings` document as the driver returns it (numbers, bigints or bson Longs). */
export function parsePingsDoc(doc: unknown): PingsRecord | null {
  const d = record(doc);
  const id = typeof d?.['_id'] === 'string' ? d['_id'] : null;
  if (d === null || id === null) return null;
  const colon = id.lastIndexOf(':');
  const slot = toBigInt(d['slot']) ?? toBigInt(id.slice(colon + 1));
  if (colon <= 0 || slot === null) return null;
  return { envUuid: id.slice(0, colon), slot: Number(slot), alive: bitFields(d['alive']), dead: bitFields(d['dead']) };
}

/** A `presence.beings` document. */
export function parseBeingDoc(doc: unknown): BeingRecord | null {
  const d = record(doc);
  if (d === null) return null;
  const seq = toBigInt(d['seq']);
  const key = d['key'];
  const id = typeof d['_id'] === 'string' ? d['_id'] : '';
  const envUuid = typeof d['env-uuid'] === 'string' ? d['env-uuid'] : id.slice(0, Math.max(0, id.lastIndexOf(':')));
  if (seq === null || seq < 0n || typeof key !== 'string' || envUuid === '') return null;
  return { envUuid, seq: Number(seq), key };
}

/** Sequences that pinged in the current or previous slot, and those recorded dead there. */
export interface PingedSeqs {
  readonly alive: ReadonlySet<number>;
  readonly dead: ReadonlySet<number>;
}

/** What the watcher's `sync` reads: the environment's slot documents for `slot` and `slot - period`. */
export function pingedSeqs(pings: readonly PingsRecord[], envUuid: string, currentSlot: number): PingedSeqs {
  const alive = new Set<number>();
  const dead = new Set<number>();
  for (const p of pings) {
    if (p.envUuid !== envUuid || (p.slot !== currentSlot && p.slot !== currentSlot - PRESENCE_PERIOD_SECONDS)) continue;
    for (const seq of seqsOf(p.alive)) alive.add(seq);
    for (const seq of seqsOf(p.dead)) dead.add(seq);
  }
  return { alive, dead };
}

/**
 * Liveness by key, as the watcher concludes it: each key takes its highest
 * sequence among those that pinged; it is alive unless that sequence was
 * killed. Sequences without a being (unowned) are ignored. Keys that did not
 * ping at all are absent, which `Alive()` reports as not alive.
 */
export function aliveKeys(pinged: PingedSeqs, beingOf: (seq: number) => BeingRecord | undefined): Map<string, boolean> {
  const latest = new Map<string, number>();
  for (const seq of pinged.alive) {
    const being = beingOf(seq);
    if (being === undefined) continue;
    const current = latest.get(being.key);
    if (current === undefined || current < seq) latest.set(being.key, seq);
  }
  const out = new Map<string, boolean>();
  for (const [key, seq] of latest) out.set(key, !pinged.dead.has(seq));
  return out;
}

/** Machine agent presence by machine id: true only for machines whose agent is alive. */
export function machinePresence(machineIds: readonly string[], alive: ReadonlyMap<string, boolean>): Map<string, boolean> {
  return new Map(machineIds.map((id) => [id, alive.get(machinePresenceKey(id)) === true]));
}

function bitFields(value: unknown): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const r = record(value);
  if (r === null) return out;
  for (const [field, raw] of Object.entries(r)) {
    const n = toBigInt(raw);
    if (n !== null) out.set(field, n);
  }
  return out;
}

/** Integers as the driver may return them: number, bigint, or a bson `Long`/`Int32`/`Double`. */
export function toBigInt(value: unknown): bigint | null {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : null;
  if (typeof value === 'string') return /^-?\d+$/.test(value) ? BigInt(value) : null;
  const r = record(value);
  if (r === null) return null;
  const toBig = r['toBigInt'];
  if (typeof toBig === 'function') {
    const b = (toBig as () => unknown).call(value);
    return typeof b === 'bigint' ? b : null;
  }
  const valueOf = r['valueOf'];
  if (typeof valueOf === 'function') {
    const n = (valueOf as () => unknown).call(value);
    if (typeof n === 'number' && Number.isSafeInteger(n)) return BigInt(n);
  }
  return null;
}

function record(value: unknown): Readonly<Record<string, unknown>> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
