import { describe, expect, it } from 'vitest';
import { canStoreWhileDumping, estimateArchiveBytes } from './create-backup';

const MiB = 1024 * 1024;

describe('storing while dumping', () => {
  it('overlaps the upload with the dump only when the whole archive fits in three quarters of the oplog', () => {
    // Juju's 1 GB oplog: a 600 MiB environment may overlap, a 1.2 GiB one may not.
    expect(canStoreWhileDumping(600 * MiB, 1024 * MiB)).toBe(true);
    expect(canStoreWhileDumping(1200 * MiB, 1024 * MiB)).toBe(false);
    // The margin counts: data right at three quarters leaves no room for the environment's own writes.
    expect(canStoreWhileDumping(768 * MiB, 1024 * MiB)).toBe(false);
    expect(canStoreWhileDumping(700 * MiB, 1024 * MiB)).toBe(true);
  });

  it('stores after the dump when the oplog size is unknown', () => {
    expect(canStoreWhileDumping(1 * MiB, null)).toBe(false);
  });

  it('estimates the archive at 60 % of the data plus a margin', () => {
    expect(estimateArchiveBytes(0)).toBe(64 * MiB);
    expect(estimateArchiveBytes(1000 * MiB)).toBe(600 * MiB + 64 * MiB);
  });
});
