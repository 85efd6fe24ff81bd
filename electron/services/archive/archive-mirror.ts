/**
 * A second destination for an archive's compressed bytes (the GridFS copy on
 * the state server), fed in order while the archive is written. Some ranges
 * are placeholders when they pass (a tar header whose size is only known
 * once its entry ends): the mirror is told before they arrive, keeps them
 * back, and sends them once patched, so it never stores a placeholder.
 */
export interface ArchiveMirror {
  /**
   * Bytes `[offset, offset + length)` will arrive as a placeholder and be
   * patched later. Always called before those bytes are written.
   */
  reserve(offset: number, length: number): void;
  /** Appends the next bytes, in order. Resolves when the mirror can take more (backpressure). */
  write(data: Buffer): Promise<void>;
  /** The final bytes of a reserved range (same offset and length); they may already have been written. */
  patch(offset: number, data: Buffer): void;
  /** Everything is written and every reserved range patched: completes the copy. */
  end(): Promise<void>;
}
