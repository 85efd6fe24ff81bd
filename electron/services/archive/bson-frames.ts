/**
 * Counts the BSON documents of a mongodump `.bson` file as it streams past,
 * by walking their int32 length prefixes: no document is decoded, so a
 * collection of any size costs four bytes of state. Each document must be
 * at least 5 bytes, at most MongoDB's internal limit, and end with its 0x00
 * terminator; the file must end on a document boundary. Anything else is
 * reported as a problem (a damaged or truncated dump), the way mongorestore
 * would stop on it.
 *
 * With `keepEnds`, the first and last whole documents are also kept (the
 * oplog's time span needs exactly those two): memory stays at most two
 * documents.
 */

/** BSONObjMaxInternalSize: 16 MiB plus the 16 KiB an oplog entry may exceed it by. */
export const MAX_BSON_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024;

export class BsonFrameCounter {
  documents = 0;
  bytes = 0;
  problem: string | null = null;
  first: Buffer | null = null;
  last: Buffer | null = null;
  readonly #keepEnds: boolean;
  readonly #prefix = Buffer.alloc(4);
  #prefixHave = 0;
  /** Bytes still to come in the current document (after its prefix); 0 between documents. */
  #remaining = 0;
  #parts: Buffer[] = [];

  constructor(options: { readonly keepEnds?: boolean } = {}) {
    this.#keepEnds = options.keepEnds ?? false;
  }

  write(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && this.problem === null) {
      if (this.#remaining === 0) {
        const take = Math.min(4 - this.#prefixHave, chunk.length - i);
        chunk.copy(this.#prefix, this.#prefixHave, i, i + take);
        this.#prefixHave += take;
        i += take;
        this.bytes += take;
        if (this.#prefixHave < 4) break;
        const length = this.#prefix.readInt32LE(0);
        if (length < 5 || length > MAX_BSON_DOCUMENT) {
          this.problem = `document ${this.documents + 1} (at byte ${this.bytes - 4}) declares an impossible length of ${length} bytes`;
          break;
        }
        this.#remaining = length - 4;
        if (this.#keepEnds) this.#parts = [Buffer.from(this.#prefix)];
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - i);
      if (this.#keepEnds) this.#parts.push(Buffer.from(chunk.subarray(i, i + take)));
      this.#remaining -= take;
      i += take;
      this.bytes += take;
      if (this.#remaining === 0) {
        if (chunk[i - 1] !== 0) {
          this.problem = `document ${this.documents + 1} does not end with BSON's zero byte`;
          break;
        }
        this.documents++;
        this.#prefixHave = 0;
        if (this.#keepEnds) {
          const doc = Buffer.concat(this.#parts);
          this.#parts = [];
          this.first ??= doc;
          this.last = doc;
        }
      }
    }
  }

  /** Call at the end of the file: a partial document left over is a truncation. */
  end(): void {
    if (this.problem === null && (this.#prefixHave > 0 || this.#remaining > 0)) {
      this.problem = `it ends inside document ${this.documents + 1} (truncated)`;
    }
    this.#parts = [];
  }
}
