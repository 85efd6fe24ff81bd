import { expect, test } from './fixtures/test';
import { BackupSchedule } from './pages/backup-schedule';

/**
 * Scheduled backups of the sandbox in Chromium: save "every 1 hour" with
 * retention, see the next run, watch a run complete and its backup appear
 * in the list. The host runs with the scheduler's test clock 360 times
 * faster (QUORUM_E2E_SCHEDULE_CLOCK_RATE, read by the browser host only;
 * see electron/services/schedule/test-clock.ts), so the hour falls due
 * after 10 s of real time; backups themselves keep real time.
 */

test.use({ hostEnv: { QUORUM_E2E_SCHEDULE_CLOCK_RATE: '360' } });

test.describe('scheduled backups', () => {
  test.setTimeout(240_000);

  test('set a schedule, see the next run, a run completes and the list updates', async ({ app, page }) => {
    await app.sectionLink('Backups').click();
    await expect(app.pageHeading('Backups')).toBeVisible();
    // The sandbox is up once the plan names its initial state server.
    await expect(page.getByLabel('State server')).toHaveValue('0', { timeout: 120_000 });

    const schedule = new BackupSchedule(page);
    await expect(schedule.status).toContainText('No scheduled backups for this environment.');
    await schedule.everyHours(1, { keep: 3, maxAgeDays: 30 });
    await expect(schedule.status).toContainText('Backs up every 1 hour; keep 3, max age 30 days, local library only.');
    await expect(schedule.nextRun).toBeVisible();
    const firstNext = await schedule.nextRunIso();
    expect(Number.isNaN(Date.parse(firstNext ?? ''))).toBe(false);

    // The run: "Last run: succeeded …: Backup <id> created (<file>); retention removed 0."
    const lastRun = schedule.lastRun();
    await expect(lastRun).toContainText('succeeded', { timeout: 120_000 });
    const text = (await lastRun.textContent()) ?? '';
    const id = /Backup (\d{8}-\d{6}\.[0-9a-f-]{36}) created/.exec(text)?.[1];
    expect(id, text).toBeDefined();
    await schedule.turnOff();
    await expect(schedule.status).toContainText('No scheduled backups for this environment.');
    await expect(schedule.status).toContainText('Last run: succeeded');
    await expect(schedule.failure).toHaveCount(0);

    // The list was re-read: the scheduled backup is there, in both places and verified.
    const row = page.getByRole('row', { name: `Backup ${id}` });
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(row.getByText('both', { exact: true })).toBeVisible();
    await expect(row.getByText('verified', { exact: true })).toBeVisible();
  });
});
