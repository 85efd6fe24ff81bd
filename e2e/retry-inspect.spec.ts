import { readFile, writeFile } from 'node:fs/promises';
import { expect, test } from './fixtures/test';

/**
 * Retry where the console says to retry, as an operator meets it on the
 * sandbox: a backup's local copy is damaged (truncated mid-copy) when the
 * operator picks Restore this one, the inspection refuses it, the operator
 * puts the file right, and Retry inspect inspects the same file again and
 * shows it restorable.
 */
test.describe('Retry inspect on the Restore page', () => {
  test.setTimeout(300_000);

  test('a truncated local copy is refused; once the file is whole again, Retry inspect shows it restorable', async ({ app, page }) => {
    await app.sectionLink('Backups').click();
    await expect(page.getByLabel('State server')).toHaveValue('0', { timeout: 150_000 });
    await page.getByLabel('Notes').fill('e2e retry inspect');
    await page.getByRole('button', { name: 'Create backup', exact: true }).click();
    const metadata = page.getByLabel('Backup metadata');
    await expect(metadata).toBeVisible({ timeout: 150_000 });
    const id = /backup ID:\s+"([^"]+)"/.exec((await metadata.textContent()) ?? '')?.[1];
    expect(id).toMatch(/^\d{8}-\d{6}\.[0-9a-f-]{36}$/);
    const target = /^downloading to (.+)$/.exec((await page.getByText(/^downloading to /).textContent()) ?? '')?.[1];
    expect(target).toMatch(/juju-backup-\d{8}-\d{6}\.tar\.gz$/);
    const backupRow = page.getByRole('row', { name: `Backup ${id}` });
    await expect(backupRow.getByText('both', { exact: true })).toBeVisible({ timeout: 30_000 });

    // The local copy loses its second half, as a copy cut short would.
    const whole = await readFile(target!);
    await writeFile(target!, whole.subarray(0, Math.floor(whole.length / 2)));

    await backupRow.getByRole('button', { name: `Restore ${id}` }).click();
    await expect(app.pageHeading('Restore')).toBeVisible();
    const refused = page.getByRole('alert').filter({ hasText: 'This archive is refused; nothing was touched' });
    await expect(refused).toBeVisible({ timeout: 60_000 });
    await expect(refused).toContainText('is not a usable Juju backup');
    await expect(page.getByRole('status', { name: 'Verdict' })).toHaveCount(0);

    // Put right in place, then the same file is inspected again.
    await writeFile(target!, whole);
    await refused.getByRole('button', { name: 'Retry inspect' }).click();
    await expect(page.getByRole('status', { name: 'Verdict' })).toContainText('Restorable', { timeout: 60_000 });
    await expect(refused).toHaveCount(0);
    await expect(page.getByText(/^From environment/)).toContainText('notes: “e2e retry inspect”');
  });
});
