import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures/test';

/**
 * Backups against the real sandbox, in Chromium: click Create backup, watch
 * the progress, see Juju's metadata block; the archive is listed as both and
 * verified; removing it from the server leaves it local; uploading it makes
 * it both again.
 */

function row(page: Page, id: string): Locator {
  return page.getByRole('row', { name: `Backup ${id}` });
}

test.describe('backups of the sandbox', () => {
  test.setTimeout(240_000);

  test('create, list as both and verified, remove from server, upload again', async ({ app, page }) => {
    await app.selectEnvironment('sandbox (built in)').catch(() => undefined);
    await expect(app.environmentSwitcher).toHaveValue('sandbox');
    await app.sectionLink('Backups').click();
    await expect(app.pageHeading('Backups')).toBeVisible();

    // The plan names the initial state server (the sandbox starts on first use).
    await expect(page.getByLabel('State server')).toHaveValue('0', { timeout: 120_000 });
    await page.getByLabel('Notes').fill('e2e backup');
    await page.getByRole('button', { name: 'Create backup', exact: true }).click();

    // Progress: a bar with the phase sentence, then the metadata as Juju prints it.
    await expect(page.getByRole('progressbar', { name: 'Backup progress' })).toBeVisible();
    const metadata = page.getByLabel('Backup metadata');
    await expect(metadata).toBeVisible({ timeout: 120_000 });
    await expect(metadata).toContainText('checksum format: "SHA-1, base64 encoded"');
    await expect(metadata).toContainText('notes:           "e2e backup"');
    await expect(metadata).toContainText('machine ID:      "0"');
    const text = (await metadata.textContent()) ?? '';
    const id = /backup ID:\s+"([^"]+)"/.exec(text)?.[1];
    expect(id).toMatch(/^\d{8}-\d{6}\.[0-9a-f-]{36}$/);
    await expect(page.getByText(/^downloading to .*juju-backup-\d{8}-\d{6}\.tar\.gz$/)).toBeVisible();

    // Listed as both, verified.
    const backup = row(page, id!);
    await expect(backup.getByText('both', { exact: true })).toBeVisible({ timeout: 30_000 });
    await expect(backup.getByText('verified', { exact: true })).toBeVisible();

    // In a 900×600 window the page does not scroll sideways, and the row's actions stay in view
    // (the other columns scroll under them).
    await page.setViewportSize({ width: 900, height: 600 });
    await expect.poll(() => page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(900);
    for (const name of [`Info for ${id}`, `Restore ${id}`, `Remove ${id} from server`, `Delete local ${id}`]) {
      const box = await backup.getByRole('button', { name }).boundingBox();
      expect(box, name).not.toBeNull();
      expect(box!.x, name).toBeGreaterThan(0);
      expect(box!.x + box!.width, name).toBeLessThanOrEqual(900);
    }
    await page.setViewportSize({ width: 1280, height: 800 });

    // Remove from the server (confirmed) → local.
    await backup.getByRole('button', { name: `Remove ${id} from server` }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove backup from the server?' });
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(page.getByText(`successfully removed: ${id}`)).toBeVisible();
    await expect(backup.getByText('local', { exact: true })).toBeVisible({ timeout: 30_000 });

    // Upload → both again.
    await backup.getByRole('button', { name: `Upload ${id}` }).click();
    await expect(backup.getByText('both', { exact: true })).toBeVisible({ timeout: 60_000 });
    await expect(backup.getByText('verified', { exact: true })).toBeVisible();
  });
});
