import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32Combine } from './crc32-combine';

describe('crc32Combine', () => {
  it('matches zlib.crc32 over concatenations of random buffers', () => {
    for (let round = 0; round < 200; round++) {
      const a = crypto.randomBytes(crypto.randomInt(0, 5000));
      const b = crypto.randomBytes(crypto.randomInt(0, 70_000));
      expect(crc32Combine(zlib.crc32(a), zlib.crc32(b), b.length)).toBe(zlib.crc32(Buffer.concat([a, b])));
    }
  });

  it('folds many pieces, as the archive trailer does', () => {
    const pieces = Array.from({ length: 40 }, () => crypto.randomBytes(crypto.randomInt(1, 3000)));
    let crc = 0;
    for (const p of pieces) crc = crc32Combine(crc, zlib.crc32(p), p.length);
    expect(crc).toBe(zlib.crc32(Buffer.concat(pieces)));
  });

  it('handles lengths beyond 32 bits (zeros applied to the first CRC)', () => {
    // crc32(A ‖ 0^n) via the combine of crc32(0^n) computed incrementally for a modest n, cross-checked.
    const zeros = Buffer.alloc(1 << 20);
    const a = crypto.randomBytes(100);
    const expected = zlib.crc32(Buffer.concat([a, zeros]));
    expect(crc32Combine(zlib.crc32(a), zlib.crc32(zeros), zeros.length)).toBe(expected);
    // A length ≥ 2^32 must not be truncated to 32 bits: 2^32 + 5 differs from 5.
    expect(crc32Combine(0x12345678, 0, 2 ** 32 + 5)).not.toBe(crc32Combine(0x12345678, 0, 5));
  });

  it('returns the first CRC for an empty second part', () => {
    expect(crc32Combine(0xdeadbeef, 0, 0)).toBe(0xdeadbeef);
  });
});
