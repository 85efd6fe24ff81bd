/**
 * zlib's `crc32_combine`: the CRC-32 of `A ‖ B` from `crc32(A)`, `crc32(B)`
 * and `B`'s length, without the bytes. The archive writer needs it because an
 * entry's content is compressed (and its CRC taken) before the tar header in
 * front of it exists; the gzip trailer's CRC is then combined piecewise.
 *
 * The algorithm is zlib's GF(2) one: appending `len2` zero bytes to `A` is a
 * linear map on the 32-bit CRC register, computed by repeated squaring of the
 * one-zero-bit operator matrix; then `crc(B)` is XORed in.
 */

const POLY = 0xedb88320;

function gf2MatrixTimes(mat: Uint32Array, vec: number): number {
  let sum = 0;
  let v = vec >>> 0;
  let i = 0;
  while (v !== 0) {
    if (v & 1) sum ^= mat[i]!;
    v >>>= 1;
    i++;
  }
  return sum >>> 0;
}

function gf2MatrixSquare(square: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2MatrixTimes(mat, mat[n]!);
}

/** CRC-32 (zlib/gzip polynomial) of the concatenation of two byte strings; `len2` is the second one's length. */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (!Number.isSafeInteger(len2) || len2 < 0) throw new RangeError(`crc32Combine: bad length ${len2}`);
  if (len2 === 0) return crc1 >>> 0;
  const even = new Uint32Array(32); // even-power-of-two zeros operator
  const odd = new Uint32Array(32); // odd-power-of-two zeros operator
  odd[0] = POLY; // the operator for one zero bit
  let row = 1;
  for (let n = 1; n < 32; n++) {
    odd[n] = row;
    row = (row << 1) >>> 0;
  }
  gf2MatrixSquare(even, odd); // two zero bits
  gf2MatrixSquare(odd, even); // four zero bits
  let crc = crc1 >>> 0;
  let len = len2;
  // Apply len zero bytes to crc1 (the first square gives the one-zero-byte operator).
  do {
    gf2MatrixSquare(even, odd);
    if (len % 2 === 1) crc = gf2MatrixTimes(even, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2MatrixSquare(odd, even);
    if (len % 2 === 1) crc = gf2MatrixTimes(odd, crc);
    len = Math.floor(len / 2);
  } while (len !== 0);
  return (crc ^ crc2) >>> 0;
}
