import type { Locator, Page } from '@playwright/test';

/** The Backups page's Schedule panel, by role and label only. */
export class BackupSchedule {
  readonly root: Locator;
  readonly status: Locator;
  readonly nextRun: Locator;
  readonly failure: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('region', { name: 'Schedule' });
    this.status = this.root.getByRole('status', { name: 'Schedule status' });
    this.nextRun = this.status.locator('p', { hasText: 'Next run:' });
    this.failure = this.root.getByRole('alert', { name: 'Scheduled backup failed' });
  }

  async everyHours(hours: number, retention: { keep?: number; maxAgeDays?: number; includeServer?: boolean } = {}): Promise<void> {
    await this.root.getByLabel('Every N hours').check();
    await this.root.getByLabel('Hours between runs').fill(String(hours));
    await this.root.getByLabel('Keep (newest backups)').fill(retention.keep === undefined ? '' : String(retention.keep));
    await this.root.getByLabel('Max age (days)').fill(retention.maxAgeDays === undefined ? '' : String(retention.maxAgeDays));
    await this.root.getByLabel('Also prune server copies').setChecked(retention.includeServer ?? false);
    await this.root.getByRole('button', { name: 'Save schedule' }).click();
  }

  async turnOff(): Promise<void> {
    await this.root.getByRole('button', { name: 'Turn off' }).click();
  }

  /** The next run's time as main sent it (ISO-8601), from the `<time>` element. */
  async nextRunIso(): Promise<string | null> {
    return this.nextRun.locator('time').getAttribute('datetime');
  }

  lastRun(): Locator {
    return this.status.locator('p', { hasText: 'Last run:' });
  }
}
