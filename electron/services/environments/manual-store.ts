import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { QuorumError } from '../../../shared/errors';
import { manualEnvironmentInputSchema, type ManualEnvironmentInput } from '../../../shared/ipc/channels/environments';
import { writeFileAtomic } from './atomic-write';

/**
 * Environments the operator added by hand, kept in
 * `QUORUM_HOME/environments.json` (written atomically, mode 0600). A file
 * that cannot be parsed is never overwritten: writes are refused until the
 * operator fixes or removes it, so nothing they entered is lost.
 */

const FILE_NAME = 'environments.json';

const storeFileSchema = z.object({
  version: z.literal(1),
  environments: z.array(manualEnvironmentInputSchema),
});

export type ManualStoreState =
  | { readonly ok: true; readonly environments: readonly ManualEnvironmentInput[] }
  | { readonly ok: false; readonly file: string; readonly message: string };

export class ManualEnvironmentStore {
  readonly file: string;

  constructor(home: string) {
    this.file = path.join(home, FILE_NAME);
  }

  async read(): Promise<ManualStoreState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, environments: [] };
      return this.broken(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'I/O error'})`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return this.broken('is not valid JSON');
    }
    const parsed = storeFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.broken(`has an unexpected shape (${issue ? `${issue.path.join('.') || 'root'}: ${issue.message}` : 'unknown'})`);
    }
    return { ok: true, environments: parsed.data.environments };
  }

  /** Reads, applies `change`, writes back atomically. Refuses to touch a broken file. */
  async update(change: (current: readonly ManualEnvironmentInput[]) => readonly ManualEnvironmentInput[]): Promise<void> {
    const state = await this.read();
    if (!state.ok) throw new QuorumError('environment-invalid', state.message);
    const next = change(state.environments);
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, environments: next }, null, 2) + '\n', 0o600);
  }

  private broken(what: string): ManualStoreState {
    return {
      ok: false,
      file: this.file,
      message: `${this.file} ${what}, so environments added by hand cannot be loaded or saved. Fix or remove the file.`,
    };
  }
}
