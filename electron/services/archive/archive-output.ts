import crypto from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * Where the compressed bytes of a `.tar.gz` go as they are produced: the
 * file (positional writes) and SHA-1. Some ranges are placeholders when they
 * pass (`reserve`) and get their final bytes later (`patch`): a tar header
 * whose size is only known once its entry ends. The file is patched in
 * place; the hash runs in order over the FINAL bytes, so it stops at an
 * unpatched range and, once it is patched, catches up by reading back what
 * the file already holds (from the page cache) before hashing live again.
 * Nothing is held in memory but the placeholders.
 */

interface Range {
  readonly offset: number;
  readonly length: number;
}

const READ_BACK = 1024 * 1024;

export class ArchiveOutput extends Writable {
  readonly #file: FileHandle;
  readonly #hash = crypto.createHash('sha1');
  /** Offset of the next byte `_write` receives. */
  #received = 0;
  /** Bytes written to the file, contiguous from 0. */
  #written = 0;
  /** Bytes hashed, contiguous from 0. */
  #hashed = 0;
  /** Hashing chunks as they are written (false while behind a placeholder or catching up). */
  #live = true;
  /** Reserved ranges not patched yet, in offset order. */
  readonly #holes: Range[] = [];
  /** Final bytes for ranges not (completely) received yet. */
  readonly #early: Array<Range & { readonly data: Buffer }> = [];
  /** File writes and patches, in order. */
  #io: Promise<void> = Promise.resolve();
  #catchUp: Promise<void> | null = null;
  #failure: Error | null = null;
  #checksum: string | null = null;

  constructor(file: FileHandle) {
    super({ highWaterMark: 1024 * 1024 });
    this.#file = file;
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.#received;
  }

  /** SHA-1 of the file, base64, once finished. */
  get checksum(): string {
    if (this.#checksum === null) throw new Error('the archive is not finished');
    return this.#checksum;
  }

  /** `[offset, offset + length)` will arrive as a placeholder; called before those bytes are written. */
  reserve(offset: number, length: number): void {
    if (offset < this.#received) throw new Error(`range at ${offset} was already received`);
    this.#holes.push({ offset, length });
    this.#holes.sort((a, b) => a.offset - b.offset);
  }

  /** The final bytes of a reserved range. Resolves once they are in the file. */
  patch(offset: number, data: Buffer): Promise<void> {
    const hole = this.#holes.find((h) => h.offset === offset && h.length === data.length);
    if (!hole) throw new Error(`no reserved range of ${data.length} bytes at ${offset}`);
    // Bytes not received yet are patched as they arrive; what was received is rewritten in place
    // once the writes before it are done. A chunk written meanwhile stops live hashing at the range
    // (still listed until then), so the hash reads the patched bytes back from the file.
    const receivedPart = Math.max(0, Math.min(data.length, this.#received - offset));
    if (receivedPart < data.length) this.#early.push({ offset: offset + receivedPart, length: data.length - receivedPart, data: data.subarray(receivedPart) });
    const done = (this.#io = this.#io.then(async () => {
      if (receivedPart > 0) await writeAll(this.#file, data.subarray(0, receivedPart), offset);
      // Only now may the hash read past it.
      this.#holes.splice(this.#holes.indexOf(hole), 1);
    }));
    done.then(
      () => this.#startCatchUp(),
      (error: Error) => this.#fail(error),
    );
    return done;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    const offset = this.#received;
    this.#received += chunk.length;
    this.#applyEarly(chunk, offset);
    const fileWrite = (this.#io = this.#io.then(() => writeAll(this.#file, chunk, offset)));
    fileWrite
      .then(() => {
        this.#written = offset + chunk.length;
        if (this.#live) this.#hashLive(chunk, offset);
        callback();
      })
      .catch((error: Error) => {
        this.#fail(error);
        callback(error);
      });
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#finish().then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  async #finish(): Promise<void> {
    await this.#io;
    if (this.#holes.length > 0) throw new Error(`the archive ended with ${this.#holes.length} placeholder range(s) not patched`);
    // Any catch-up still running (or due) hashes the rest from the file.
    while (this.#hashed < this.#written || this.#catchUp) {
      if (this.#failure) throw this.#failure;
      this.#startCatchUp();
      await this.#catchUp;
    }
    if (this.#failure) throw this.#failure;
    await this.#file.sync();
    await this.#file.close();
    this.#checksum = this.#hash.digest('base64');
  }

  /** Writes the final bytes of ranges patched before they arrived into the chunk. */
  #applyEarly(chunk: Buffer, offset: number): void {
    const end = offset + chunk.length;
    for (let i = 0; i < this.#early.length; ) {
      const p = this.#early[i]!;
      copyOverlap(p.data, p.offset, chunk, offset);
      if (p.offset + p.length <= end) this.#early.splice(i, 1);
      else i++;
    }
  }

  /** Hashes a just-written chunk up to the first unpatched range, then stops live hashing there. */
  #hashLive(chunk: Buffer, offset: number): void {
    const hole = this.#holes[0];
    const stop = hole ? Math.min(hole.offset, offset + chunk.length) : offset + chunk.length;
    if (stop > offset) this.#hash.update(chunk.subarray(0, stop - offset));
    this.#hashed = Math.max(this.#hashed, stop);
    if (stop < offset + chunk.length) this.#live = false;
  }

  #startCatchUp(): void {
    if (this.#live || this.#catchUp || this.#failure) return;
    const run = this.#readBack().finally(() => {
      this.#catchUp = null;
    });
    this.#catchUp = run;
    run.catch((error: Error) => this.#fail(error));
  }

  /** Hashes what the file holds from `#hashed` up to the next unpatched range, then goes live again. */
  async #readBack(): Promise<void> {
    const buffer = Buffer.allocUnsafe(READ_BACK);
    for (;;) {
      const limit = Math.min(this.#written, this.#holes[0]?.offset ?? Infinity);
      if (this.#hashed >= limit) break;
      const n = Math.min(READ_BACK, limit - this.#hashed);
      const { bytesRead } = await this.#file.read(buffer, 0, n, this.#hashed);
      if (bytesRead <= 0) throw new Error(`the archive file ended at ${this.#hashed} while it was being checksummed`);
      this.#hash.update(buffer.subarray(0, bytesRead));
      this.#hashed += bytesRead;
    }
    // Caught up with every completed write and no placeholder is next: later chunks are hashed live.
    if (this.#hashed === this.#written && (this.#holes[0]?.offset ?? Infinity) > this.#hashed) this.#live = true;
  }

  #fail(error: Error): void {
    this.#failure ??= error;
  }
}

/** Copies the part of `src` (at absolute `srcOffset`) that overlaps `dst` (at `dstOffset`) into `dst`. */
function copyOverlap(src: Buffer, srcOffset: number, dst: Buffer, dstOffset: number): void {
  const from = Math.max(srcOffset, dstOffset);
  const to = Math.min(srcOffset + src.length, dstOffset + dst.length);
  if (from < to) src.copy(dst, from - dstOffset, from - srcOffset, to - srcOffset);
}

async function writeAll(file: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await file.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
