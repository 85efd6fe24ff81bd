/**
 * BSON values read back from juju-db, whichever `bson` build made them.
 * Documents the official driver returns carry the classes of its CommonJS
 * `bson`, while ours (and the legacy client's) come from the ES module
 * build: the same version, but distinct classes, so `instanceof Long` or
 * `instanceof Binary` is false for driver results. These helpers look at
 * `_bsontype` instead.
 */

function bsontype(value: unknown): string | null {
  if (value === null || typeof value !== 'object') return null;
  const t = (value as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : null;
}

/** A number from a JS number, `Long`, `Int32`, `Double` or bigint; null otherwise. */
export function bsonNumber(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  switch (bsontype(value)) {
    case 'Long':
      return (value as { toNumber(): number }).toNumber();
    case 'Int32':
    case 'Double':
      return (value as { valueOf(): number }).valueOf();
    default:
      return null;
  }
}

/** The bytes of a `Binary` (a view, not a copy), or of a Buffer/Uint8Array; null otherwise. */
export function bsonBytes(value: unknown): Buffer | null {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (bsontype(value) === 'Binary') {
    const b = value as { buffer: Uint8Array; position?: number };
    const length = typeof b.position === 'number' ? b.position : b.buffer.byteLength;
    return Buffer.from(b.buffer.buffer, b.buffer.byteOffset, length);
  }
  return null;
}

/** True for an `ObjectId` of either build. */
export function isObjectId(value: unknown): boolean {
  return bsontype(value) === 'ObjectId';
}

/** Hex of an `ObjectId` of either build (null for anything else). */
export function objectIdHex(value: unknown): string | null {
  return isObjectId(value) ? (value as { toHexString(): string }).toHexString() : null;
}
