import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures/test';
import type { AppShell } from './pages/app-shell';

/**
 * The Topology page against the real sandbox, in Chromium: three voting
 * state servers and one primary; failover when the primary's machine is
 * powered off; quorum loss with a second voter off; recovery; and a changed
 * host key refused with both fingerprints shown.
 */

const STATE_SERVERS = ['0', '1', '2'] as const;

function card(page: Page, id: string): Locator {
  return page.getByRole('article', { name: `Machine ${id}` });
}

/** Ids of the state-server cards marked primary right now. */
async function primaries(page: Page): Promise<string[]> {
  const found: string[] = [];
  for (const id of STATE_SERVERS) {
    if ((await card(page, id).getByText('Primary', { exact: true }).count()) > 0) found.push(id);
  }
  return found;
}

async function openSandboxTopology(app: AppShell): Promise<void> {
  await app.selectEnvironment('sandbox (built in)').catch(() => undefined);
  await expect(app.environmentSwitcher).toHaveValue('sandbox');
  await app.sectionLink('Topology').click();
  await expect(app.pageHeading('Topology')).toBeVisible();
}

async function powerOff(page: Page, id: string): Promise<void> {
  await page.getByRole('button', { name: `Power off machine ${id}`, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Power off machine ${id}?` });
  await dialog.getByRole('button', { name: 'Power off', exact: true }).click();
  await expect(dialog).toBeHidden();
  // Off: the machine offers Power on instead, never both.
  await expect(page.getByRole('button', { name: `Power on machine ${id}`, exact: true })).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByRole('button', { name: `Power off machine ${id}`, exact: true })).toHaveCount(0);
}

async function powerOn(page: Page, id: string): Promise<void> {
  await page.getByRole('button', { name: `Power on machine ${id}`, exact: true }).click();
  // On: the machine offers Power off instead, never both.
  await expect(page.getByRole('button', { name: `Power off machine ${id}`, exact: true })).toBeEnabled({ timeout: 30_000 });
  await expect(page.getByRole('button', { name: `Power on machine ${id}`, exact: true })).toHaveCount(0);
}

test.describe('topology of the sandbox', () => {
  test.setTimeout(240_000);

  test('failover, quorum loss, recovery, and a changed host key refused', async ({ app, page }) => {
    await openSandboxTopology(app);

    // Three state servers has-vote and exactly one primary (the sandbox starts on first use).
    for (const id of STATE_SERVERS) await expect(card(page, id).getByText('has-vote', { exact: true })).toBeVisible({ timeout: 90_000 });
    await expect.poll(() => primaries(page), { timeout: 30_000 }).toHaveLength(1);
    const quorum = page.getByRole('status', { name: 'Quorum' });
    await expect(quorum).toContainText('3 of 3 voting members healthy — survives 1 failure');
    const [first] = await primaries(page);
    expect(first).toBeDefined();

    // Power off the primary's machine: within 10 s another member is primary and the machine shows down.
    const started = Date.now();
    await powerOff(page, first!);
    await expect(card(page, first!).getByText('Down', { exact: true })).toBeVisible({ timeout: 10_000 });
    await expect.poll(async () => (await primaries(page)).filter((id) => id !== first), { timeout: 10_000 - (Date.now() - started) }).toHaveLength(1);
    await expect(card(page, first!).getByText('Primary', { exact: true })).toHaveCount(0);
    await expect(quorum).toContainText('2 of 3 voting members healthy');

    // Power off a second voter: quorum lost.
    const second = STATE_SERVERS.find((id) => id !== first)!;
    await powerOff(page, second);
    const lost = page.getByRole('alert', { name: 'Quorum' });
    await expect(lost).toContainText('Quorum lost', { timeout: 15_000 });
    await expect(lost).toContainText('restore from a backup is the way out');
    await expect(lost.getByRole('link', { name: 'Go to Restore' })).toBeVisible();
    await expect.poll(() => primaries(page)).toHaveLength(0);

    // Power both on: healthy again.
    await powerOn(page, first!);
    await powerOn(page, second);
    await expect(quorum).toContainText('3 of 3 voting members healthy — survives 1 failure', { timeout: 45_000 });
    await expect.poll(() => primaries(page), { timeout: 30_000 }).toHaveLength(1);
    for (const id of STATE_SERVERS) await expect(card(page, id).getByText('Down', { exact: true })).toHaveCount(0);

    // Change machine 1's host key, then power-cycle it so Quorum connects again: refused, both fingerprints shown.
    await card(page, '1').getByRole('button', { name: 'Details of machine 1' }).click();
    const details = page.getByRole('region', { name: 'Machine 1 details' });
    await details.getByRole('button', { name: 'Change host key of machine 1' }).click();
    const changedTo = details.getByRole('status');
    await expect(changedTo).toContainText('SHA256:');
    const presented = /SHA256:[A-Za-z0-9+/]{43}/.exec((await changedTo.textContent()) ?? '')?.[0];
    expect(presented).toBeDefined();
    await powerOff(page, '1');
    await powerOn(page, '1');
    const refused = page.getByRole('alert', { name: 'Host key changed for 10.23.0.11' });
    await expect(refused).toBeVisible({ timeout: 45_000 });
    await expect(refused).toContainText(presented!);
    const shown = (await refused.textContent()) ?? '';
    const fingerprints = new Set(shown.match(/SHA256:[A-Za-z0-9+/]{43}/g));
    expect(fingerprints.size).toBe(2);
    await expect(page.getByRole('button', { name: /Trust/ })).toHaveCount(0);
  });
});
