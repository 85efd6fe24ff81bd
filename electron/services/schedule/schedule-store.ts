import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { scheduleRunSchema, scheduleSettingsSchema, type ScheduleRun, type ScheduleSettings } from '../../../shared/ipc/channels/schedule';
import { writeFileAtomic } from '../environments/atomic-write';
import type { Logger } from '../log';

/**
 * `QUORUM_HOME/schedules.json`: per environment, the schedule's settings,
 * its anchor (when it was saved or its last run started: the next due time
 * counts from it) and the last run's result. Written atomically; a missing
 * file is no schedules, an unreadable one is logged and treated as none
 * (and kept aside as `schedules.json.unreadable` so nothing is lost).
 */

export interface ScheduleRecord {
  readonly settings: ScheduleSettings | null;
  /** ISO-8601. */
  readonly anchor: string;
  readonly lastRun: ScheduleRun | null;
  /** The latest failed run not yet acknowledged. */
  readonly failure: ScheduleRun | null;
}

const fileSchema = z.object({
  version: z.literal(1),
  environments: z.record(
    z.string(),
    z.object({ settings: scheduleSettingsSchema.nullable(), anchor: z.string(), lastRun: scheduleRunSchema.nullable(), failure: scheduleRunSchema.nullable() }),
  ),
});

export class ScheduleStore {
  readonly file: string;
  readonly #log: Logger;
  #loading: Promise<Map<string, ScheduleRecord>> | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(home: string, log: Logger) {
    this.file = path.join(home, 'schedules.json');
    this.#log = log;
  }

  /** Reads the file once; every caller shares that one map. */
  load(): Promise<Map<string, ScheduleRecord>> {
    this.#loading ??= this.#read();
    return this.#loading;
  }

  async #read(): Promise<Map<string, ScheduleRecord>> {
    const records = new Map<string, ScheduleRecord>();
    let raw: string | null = null;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn(`Cannot read ${this.file}; no backups are scheduled until it is readable`, { error: String(error) });
    }
    if (raw !== null) {
      try {
        const parsed = fileSchema.parse(JSON.parse(raw));
        for (const [id, record] of Object.entries(parsed.environments)) records.set(id, record);
      } catch (error) {
        this.#log.warn(`${this.file} is not a schedules file Quorum understands; starting without schedules and keeping it as schedules.json.unreadable`, { error: String(error) });
        await writeFileAtomic(`${this.file}.unreadable`, raw).catch(() => undefined);
      }
    }
    return records;
  }

  async get(environmentId: string): Promise<ScheduleRecord | null> {
    return (await this.load()).get(environmentId) ?? null;
  }

  /** Replaces (or, with null, deletes) an environment's record and writes the file; writes are serialized. */
  async put(environmentId: string, record: ScheduleRecord | null): Promise<void> {
    const records = await this.load();
    if (record === null) records.delete(environmentId);
    else records.set(environmentId, record);
    const body = JSON.stringify({ version: 1, environments: Object.fromEntries(records) }, null, 2);
    const write = this.#writing.then(() => writeFileAtomic(this.file, `${body}\n`));
    this.#writing = write.catch(() => undefined);
    await write;
  }
}
