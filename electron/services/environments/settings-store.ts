import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-write';

/**
 * Small console preferences in `QUORUM_HOME/settings.json` (today: the
 * selected environment). Unknown keys written by other versions are kept;
 * an unreadable file falls back to defaults rather than blocking start-up.
 */
const settingsSchema = z.object({ selectedEnvironmentId: z.string().min(1).max(80).optional() }).passthrough();
export type Settings = z.infer<typeof settingsSchema>;

export class SettingsStore {
  readonly file: string;

  constructor(home: string) {
    this.file = path.join(home, 'settings.json');
  }

  async read(): Promise<Settings> {
    try {
      const parsed = settingsSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      return parsed.success ? parsed.data : {};
    } catch {
      return {};
    }
  }

  async write(patch: Partial<Settings>): Promise<void> {
    const current = await this.read();
    await writeFileAtomic(this.file, JSON.stringify({ ...current, ...patch }, null, 2) + '\n', 0o600);
  }
}
