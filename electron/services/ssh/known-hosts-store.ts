import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { checkHostKey, formatKnownHostLine, parseKnownHosts, type HostKeyVerdict } from './known-hosts';

/**
 * Quorum's own known_hosts file (`QUORUM_HOME/known_hosts`). Reads are fresh
 * every time (the operator may edit the file while Quorum runs, e.g. to
 * remove a rebuilt machine's entry); writes are serialised within the process
 * and atomic (temporary file, fsync, rename) so a crash never leaves a
 * half-written file that would make every host look unknown.
 */
export class KnownHostsStore {
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async #read(): Promise<string> {
    try {
      return await fs.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
  }

  /** What the file says about this key for `host:port`. */
  async check(host: string, port: number, keyBlob: Buffer): Promise<HostKeyVerdict> {
    // Wait for pending writes so a key trusted a moment ago is seen.
    await this.#queue.catch(() => undefined);
    return checkHostKey(parseKnownHosts(await this.#read()), host, port, keyBlob);
  }

  /**
   * Appends `host:port key` unless an identical entry exists. Refuses (returns
   * the verdict) when the host is already known with another key of the same
   * type: replacing a key is the operator's decision, made by editing the file.
   */
  add(host: string, port: number, keyBlob: Buffer, comment?: string): Promise<HostKeyVerdict> {
    const run = async (): Promise<HostKeyVerdict> => {
      const text = await this.#read();
      const verdict = checkHostKey(parseKnownHosts(text), host, port, keyBlob);
      if (verdict.kind !== 'unknown') return verdict;
      const line = formatKnownHostLine(host, port, keyBlob, comment);
      const next = text === '' || text.endsWith('\n') ? `${text}${line}\n` : `${text}\n${line}\n`;
      await writeAtomic(this.file, next);
      return verdict;
    };
    const result = this.#queue.catch(() => undefined).then(run);
    this.#queue = result;
    return result;
  }
}

async function writeAtomic(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}
