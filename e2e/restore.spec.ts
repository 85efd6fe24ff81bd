import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JSHandle, Page } from '@playwright/test';
import { writeJujuHome } from './fixtures/juju-home';
import { startQuorumHost } from './fixtures/quorum-host';
import { createSandbox } from './fixtures/sandbox-shape';
import { expect, test as base } from './fixtures/test';

/**
 * Restore against the real sandbox, in Chromium: back the sandbox up on the
 * Backups page (keeping the local copy), power off every state server on
 * the Topology page, drop the archive on the window, read the inspection
 * and the checklist, restore into the sandbox's re-bootstrapped machine 0,
 * watch the nine steps, and end with one state server and Enable HA (3)
 * offered.
 */

/** The seed's log lines: the step titles, in order. */
const SEED_TITLES = [
  'extracted credentials from backup file',
  're-bootstrapping environment',
  'connecting to newly bootstrapped instance',
  'restoring bootstrap machine',
  'copying backup file to bootstrap host',
  'updating bootstrap machine',
  'restored bootstrap machine',
  'opening state',
  'updating all machines',
];

const test = base.extend({
  // The standard host, over a sandbox made beforehand with three state servers and one workload machine.
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring pattern
  quorum: async ({}, use, testInfo) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'quorum-e2e-restore-'));
    const quorumHome = path.join(dir, 'quorum-home');
    const jujuHome = path.join(dir, 'juju-home');
    await writeJujuHome(jujuHome);
    await createSandbox(quorumHome, { stateServers: 3, workloads: 1 });
    const host = await startQuorumHost({ quorumHome, jujuHome });
    try {
      await use({ ...host, quorumHome, jujuHome });
    } finally {
      await host.stop();
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('browser-host output', { body: host.output(), contentType: 'text/plain' });
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  },
});

/**
 * A DataTransfer holding one file, built in the page (the e2e tsconfig has
 * no DOM, so the page-side code is a string).
 */
async function fileTransfer(page: Page, name: string, bytes: Buffer, type: string): Promise<JSHandle> {
  return page.evaluateHandle(`(() => {
    const binary = atob(${JSON.stringify(bytes.toString('base64'))});
    const data = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
    const transfer = new DataTransfer();
    transfer.items.add(new File([data], ${JSON.stringify(name)}, { type: ${JSON.stringify(type)} }));
    return transfer;
  })()`);
}

/** Drags the file over the window (the drop target shows), then drops it. */
async function dropOnWindow(page: Page, transfer: JSHandle): Promise<void> {
  await page.dispatchEvent('main', 'dragenter', { dataTransfer: transfer });
  await expect(page.getByRole('region', { name: 'Drop target' })).toBeVisible();
  await page.dispatchEvent('main', 'dragover', { dataTransfer: transfer });
  await page.dispatchEvent('main', 'drop', { dataTransfer: transfer });
  await expect(page.getByRole('region', { name: 'Drop target' })).toHaveCount(0);
}

test.describe('restore of the sandbox', () => {
  test.setTimeout(480_000);

  test('back up, lose every state server, drop the archive, inspect, check, restore step by step, one state server and Enable HA (3)', async ({ app, page }) => {
    await app.selectEnvironment('sandbox (built in)').catch(() => undefined);
    await expect(app.environmentSwitcher).toHaveValue('sandbox');

    // 1. A backup with a local copy, on the Backups page.
    await app.sectionLink('Backups').click();
    await expect(page.getByLabel('State server')).toHaveValue('0', { timeout: 150_000 });
    await page.getByLabel('Notes').fill('e2e restore');
    await page.getByRole('button', { name: 'Create backup', exact: true }).click();
    const downloaded = page.getByText(/^downloading to .*juju-backup-\d{8}-\d{6}\.tar\.gz$/);
    await expect(downloaded).toBeVisible({ timeout: 150_000 });
    const localPath = ((await downloaded.textContent()) ?? '').replace(/^downloading to /, '');
    const archive = await readFile(localPath);
    const fileName = path.basename(localPath);

    // 2. Every state server powered off on the Topology page: quorum is lost.
    await app.sectionLink('Topology').click();
    await expect(page.getByRole('status', { name: 'Quorum' })).toContainText('3 of 3 voting members healthy', { timeout: 60_000 });
    const powerOff = async (id: string) => {
      await page.getByRole('button', { name: `Power off machine ${id}`, exact: true }).click();
      await page.getByRole('dialog', { name: `Power off machine ${id}?` }).getByRole('button', { name: 'Power off', exact: true }).click();
      // Powered off, the machine offers Power on instead.
      await expect(page.getByRole('button', { name: `Power on machine ${id}`, exact: true })).toBeEnabled({ timeout: 30_000 });
    };
    await powerOff('1');
    await powerOff('2');
    await expect(page.getByRole('alert', { name: 'Quorum' })).toContainText('Quorum lost', { timeout: 30_000 });
    // The initial state server last: restore refuses while it is up.
    await powerOff('0');

    // 3. Something that is not an archive is refused with a clear message, and nothing opens.
    await dropOnWindow(page, await fileTransfer(page, 'notes.txt', Buffer.from('not a backup'), 'text/plain'));
    await expect(app.pageHeading('Restore')).toBeVisible();
    await expect(page.getByRole('alert', { name: 'Archive refused' })).toContainText('"notes.txt" is not a backup archive');
    await expect(page.getByRole('heading', { name: 'Inspection' })).toHaveCount(0);

    // 4. The archive dropped on the window (from the Topology page): the Restore page opens with it.
    await app.sectionLink('Topology').click();
    await dropOnWindow(page, await fileTransfer(page, fileName, archive, 'application/gzip'));
    await expect(app.pageHeading('Restore')).toBeVisible();
    await expect(page.getByRole('alert', { name: 'Archive refused' })).toHaveCount(0);
    await expect(page.getByText(`Archive: ${fileName}`, { exact: true })).toBeVisible();

    // 5. The inspection, before anything is touched.
    const verdict = page.getByRole('status', { name: 'Verdict' });
    await expect(verdict).toContainText('Restorable: Juju 1.25', { timeout: 60_000 });
    await expect(verdict).toContainText('--oplogReplay');
    const integrity = page.getByLabel('Integrity');
    await expect(integrity).toContainText('intact: CRC and length check out');
    await expect(integrity).toContainText('metadata.json, root.tar, dump/');
    const metadata = page.getByLabel('metadata.json');
    await expect(metadata.getByRole('term')).toHaveText(['ID', 'Checksum', 'Checksum format', 'Size', 'Stored', 'Started', 'Finished', 'Notes', 'Environment', 'Machine', 'Hostname', 'Version']);
    await expect(page.getByText(/^From environment/)).toContainText('machine 0');
    await expect(page.getByText(/^From environment/)).toContainText('notes: “e2e restore”');
    await page.getByText(/^root\.tar: \d+ files/).click();
    await expect(page.getByRole('list', { name: 'Files in root.tar' })).toContainText('agent.conf');
    const jujuDb = page.getByRole('table', { name: 'Database juju' });
    await expect(jujuDb.getByRole('row', { name: 'juju.machines' })).toBeVisible();
    await expect(page.getByLabel('Oplog')).toContainText('Oplog:');

    // 6. The checklist: the initial state server is down, no state server votes; the sandbox re-bootstraps.
    const checklist = page.getByRole('list', { name: 'Pre-check checklist' });
    await expect(checklist.getByRole('listitem', { name: 'The initial state server (machine 0) is not up' })).toContainText(/^pass/, { timeout: 60_000 });
    await expect(checklist.getByRole('listitem', { name: 'No state server still has a vote' })).toContainText(/^pass/);
    await expect(checklist.getByRole('listitem', { name: 'The archive can be restored' })).toContainText(/^pass/);
    await expect(page.getByRole('radio', { name: /Re-bootstrap in the sandbox/ })).toBeChecked();
    const start = page.getByRole('button', { name: 'Start restore…' });
    await expect(start).toBeEnabled({ timeout: 30_000 });
    await start.click();
    await page.getByRole('dialog', { name: 'Start the restore?' }).getByRole('button', { name: 'Start restore', exact: true }).click();

    // 7. Every step, in the seed's words and order; cancel is offered until the point of no return.
    const steps = page.getByRole('list', { name: 'Restore steps' });
    await expect(steps).toBeVisible({ timeout: 30_000 });
    await expect(steps.locator(':scope > li')).toHaveCount(SEED_TITLES.length);
    for (const [index, title] of SEED_TITLES.entries()) {
      await expect(steps.locator(':scope > li').nth(index)).toHaveAttribute('aria-label', title);
    }
    await expect(page.getByRole('note', { name: 'Point of no return' })).toContainText('/var/lib/juju');
    await expect(steps.getByRole('listitem', { name: 'updating bootstrap machine' })).toContainText('point of no return');
    await expect(page.getByRole('note', { name: 'Point of no return' })).toContainText('Past the point of no return', { timeout: 180_000 });
    await expect(page.getByRole('button', { name: 'Cancel restore' })).toHaveCount(0);

    // 8. The result: one state server, every machine updated, Enable HA (3) and a new backup offered.
    const result = page.getByRole('status', { name: 'Restore result' });
    await expect(result).toContainText('The environment now has a single state server: machine 0', { timeout: 240_000 });
    await expect(result).toContainText('juju.restoreInfo: CHECKED');
    for (const title of SEED_TITLES) {
      await expect(steps.getByRole('listitem', { name: title })).toContainText(/^done/);
    }
    await expect(steps.getByRole('listitem', { name: 'copying backup file to bootstrap host' })).toContainText(/ · [\d.]+ (?:B|KiB|MiB)/);
    const copyLog = steps.getByRole('listitem', { name: 'copying backup file to bootstrap host' }).getByText(/^Log of copying backup file/);
    await copyLog.click();
    await expect(page.getByRole('list', { name: 'Log of copying backup file to bootstrap host' }).getByRole('listitem').first()).toBeVisible();
    const updates = page.getByRole('table', { name: 'Updating all machines' });
    await expect(updates.getByRole('row', { name: 'Machine 3' })).toContainText('Succesful update of machine "3"');
    const after = page.getByRole('table', { name: 'Machines after the restore' });
    await expect(after.getByRole('row', { name: 'Machine 0' })).toContainText('state server, has-vote');
    await expect(after.getByRole('row', { name: /^Machine [12]$/ })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Enable HA (3)' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create a new backup' })).toBeVisible();

    // 9. The topology agrees: a single voting state server.
    await app.sectionLink('Topology').click();
    await expect(page.getByRole('status', { name: 'Quorum' })).toContainText('1 of 1 voting member healthy', { timeout: 120_000 });
    await app.sectionLink('Restore').click();
    await page.getByRole('button', { name: 'Enable HA (3)' }).click();
    const enable = page.getByRole('dialog', { name: 'Enable HA (3)?' });
    await expect(enable).toContainText('juju ensure-availability -n 3');
    await expect(enable.getByRole('listitem').first()).toContainText('maintaining machines: 0', { timeout: 30_000 });
    await enable.getByRole('button', { name: 'Not now' }).click();
  });
});

test.describe('rehearsal of a backup', () => {
  test.setTimeout(480_000);

  test('Restore this one on a Backups row, then Rehearse in a sandbox shows the restored topology and machines, the environment untouched', async ({ app, page }) => {
    await app.selectEnvironment('sandbox (built in)').catch(() => undefined);
    await app.sectionLink('Backups').click();
    await expect(page.getByLabel('State server')).toHaveValue('0', { timeout: 150_000 });
    await page.getByLabel('Notes').fill('e2e rehearsal');
    await page.getByRole('button', { name: 'Create backup', exact: true }).click();
    const metadata = page.getByLabel('Backup metadata');
    await expect(metadata).toBeVisible({ timeout: 150_000 });
    const id = /backup ID:\s+"([^"]+)"/.exec((await metadata.textContent()) ?? '')?.[1];
    expect(id).toMatch(/^\d{8}-\d{6}\.[0-9a-f-]{36}$/);

    // The row's own button opens the Restore page with that archive (its local copy, checksum from the library).
    const backupRow = page.getByRole('row', { name: `Backup ${id}` });
    await expect(backupRow.getByText('both', { exact: true })).toBeVisible({ timeout: 30_000 });
    await backupRow.getByRole('button', { name: `Restore ${id}` }).click();
    await expect(app.pageHeading('Restore')).toBeVisible();
    await expect(page.getByRole('status', { name: 'Verdict' })).toContainText('Restorable', { timeout: 60_000 });
    await expect(page.getByText(/^From environment/)).toContainText('notes: “e2e rehearsal”');
    // While the state servers are up, the checklist refuses in Juju's words.
    const origin = page.getByRole('list', { name: 'Pre-check checklist' }).getByRole('listitem', { name: 'The initial state server (machine 0) is not up' });
    await expect(origin).toContainText(/^fail/, { timeout: 60_000 });
    await expect(origin).toContainText('still seems to exist; will not replace');
    await expect(page.getByRole('button', { name: 'Start restore…' })).toBeDisabled();

    // The rehearsal restores it into a throwaway sandbox instead.
    await page.getByRole('button', { name: 'Rehearse in a sandbox' }).click();
    const steps = page.getByRole('list', { name: 'Rehearsal steps' });
    await expect(steps).toBeVisible({ timeout: 60_000 });
    for (const [index, title] of SEED_TITLES.entries()) {
      await expect(steps.locator(':scope > li').nth(index)).toHaveAttribute('aria-label', title);
    }
    const result = page.getByRole('region', { name: 'Rehearsal result' });
    await expect(result).toContainText('The backup restores', { timeout: 300_000 });
    await expect(result.getByRole('list', { name: 'Restored topology' }).getByRole('listitem', { name: 'State server 0' })).toContainText('has-vote');
    await expect(result.getByRole('table', { name: 'Machines in the rehearsal' }).getByRole('row', { name: 'Machine 0' })).toContainText('state server, has-vote');

    // The real environment was not touched: its three state servers still vote.
    await app.sectionLink('Topology').click();
    await expect(page.getByRole('status', { name: 'Quorum' })).toContainText('3 of 3 voting members healthy', { timeout: 60_000 });
  });
});
