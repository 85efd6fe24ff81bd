/**
 * Append-only record files: each record is `[u32 length][u32 crc32][payload]`.
 * A torn or corrupt tail (a crash mid-write) is detected by length/CRC and
 * cut off on open, so a crash never corrupts what was already written.
 */
import { closeSync, openSync, ftruncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';

const HEADER = 8;

export function truncateFile(path: string, length: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, length);
  } finally {
    closeSync(fd);
  }
}

/** Buffered appender: records queue in memory and are written in batches. */
export class RecordAppender {
  private queue: Buffer[] = [];
  private flushing: Promise<void> | null = null;
  private handle: FileHandle | null = null;
  bytesWritten = 0;

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<RecordAppender> {
    const a = new RecordAppender(path);
    a.handle = await open(path, 'a');
    a.bytesWritten = (await a.handle.stat()).size;
    return a;
  }

  /** Append one record made of several parts (written without joining them). */
  append(...parts: Buffer[]): void {
    let len = 0;
    let crc = 0;
    for (const p of parts) {
      len += p.length;
      crc = crc32(p, crc);
    }
    const h = Buffer.allocUnsafe(HEADER);
    h.writeUInt32LE(len, 0);
    h.writeUInt32LE(crc, 4);
    this.queue.push(h, ...parts);
    if (!this.flushing) this.flushing = this.drain();
  }

  private async drain(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    while (this.queue.length > 0 && this.handle) {
      const batch = this.queue;
      this.queue = [];
      let i = 0;
      while (i < batch.length) {
        const slice = batch.slice(i, i + 1024);
        await this.handle.writev(slice);
        for (const b of slice) this.bytesWritten += b.length;
        i += 1024;
      }
    }
    this.flushing = null;
  }

  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    const h = this.handle;
    this.handle = null;
    if (h) {
      await h.sync().catch(() => undefined);
      await h.close();
    }
  }

  get file(): string {
    return this.path;
  }
}

/**
 * Read every intact record of a file without blocking the event loop: large
 * sequential reads (4 MiB, more for a bigger record), one turn of the loop
 * between them. Payloads are views of the read buffers, so callers that keep
 * them keep no copies.
 */
export async function readRecordsAsync(path: string, onRecord: (payload: Buffer) => void): Promise<{ validLength: number; complete: boolean }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return { validLength: 0, complete: true };
  }
  try {
    const size = (await fh.stat()).size;
    let pos = 0;
    let buf = Buffer.alloc(0);
    let bufStart = 0;
    const ensure = async (needEnd: number): Promise<boolean> => {
      if (needEnd > size) return false;
      if (needEnd <= bufStart + buf.length) return true;
      const fresh = Buffer.allocUnsafeSlow(Math.min(Math.max(ASYNC_CHUNK, needEnd - pos), size - pos));
      let read = 0;
      while (read < fresh.length) {
        const { bytesRead } = await fh.read(fresh, read, fresh.length - read, pos + read);
        if (bytesRead <= 0) break;
        read += bytesRead;
      }
      buf = fresh.subarray(0, read);
      bufStart = pos;
      return needEnd <= bufStart + buf.length;
    };
    while (pos < size) {
      if (!(await ensure(pos + HEADER))) break;
      const len = buf.readUInt32LE(pos - bufStart);
      const crc = buf.readUInt32LE(pos - bufStart + 4);
      if (!(await ensure(pos + HEADER + len))) break;
      const payload = buf.subarray(pos - bufStart + HEADER, pos - bufStart + HEADER + len);
      if (crc32(payload) !== crc) break;
      onRecord(payload);
      pos += HEADER + len;
    }
    return { validLength: pos, complete: pos === size };
  } finally {
    await fh.close();
  }
}

const ASYNC_CHUNK = 4 * 1024 * 1024;
