import type { Locator } from '@playwright/test';
import { expect, test } from './fixtures/test';
import { SECTION_NAMES } from './pages/app-shell';

/** The few DOM members these checks use (the e2e project compiles without the DOM library). */
interface PageElement {
  matches(selector: string): boolean;
  contains(other: unknown): boolean;
  readonly ownerDocument: {
    readonly activeElement: unknown;
    readonly defaultView: { getComputedStyle(element: unknown): { boxShadow: string; outlineStyle: string; outlineWidth: string } } | null;
  };
}

/** True when the focused element draws a visible focus indicator (ring or outline). */
async function hasVisibleFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate((node) => {
    const element = node as unknown as PageElement;
    if (!element.matches(':focus-visible')) return false;
    const style = element.ownerDocument.defaultView?.getComputedStyle(element);
    return style !== undefined && (style.boxShadow !== 'none' || (style.outlineStyle !== 'none' && style.outlineWidth !== '0px'));
  });
}

async function isFocused(locator: Locator): Promise<boolean> {
  return locator.evaluate((node) => {
    const element = node as unknown as PageElement;
    return element.ownerDocument.activeElement === node;
  });
}

test('every section opens with its heading', async ({ app }) => {
  for (const name of SECTION_NAMES) {
    await app.sectionLink(name).click();
    await expect(app.pageHeading(name)).toBeVisible();
    // Every section is built now (each owns its page's spec); none says it is not available.
    await expect(app.main.getByText(/is not available yet in this build/)).toHaveCount(0);
  }
});

test('keyboard moves across sections with visible focus and marks the current one', async ({ app, page }) => {
  await expect(app.sectionLink('Topology')).toHaveAttribute('aria-current', 'page');

  // Tab from the top of the page until focus reaches the section navigation.
  await page.locator('body').focus();
  for (let presses = 0; presses < 15; presses++) {
    await page.keyboard.press('Tab');
    if (await isFocused(app.sectionLink('Topology'))) break;
  }
  await expect(app.sectionLink('Topology')).toBeFocused();
  expect(await hasVisibleFocus(app.sectionLink('Topology'))).toBe(true);

  for (const name of SECTION_NAMES.slice(1)) {
    await page.keyboard.press('Tab');
    await expect(app.sectionLink(name)).toBeFocused();
    expect(await hasVisibleFocus(app.sectionLink(name))).toBe(true);
    await page.keyboard.press('Enter');
    await expect(app.sectionLink(name)).toHaveAttribute('aria-current', 'page');
    await expect(app.pageHeading(name)).toBeVisible();
    await expect(app.sections.locator('[aria-current="page"]')).toHaveCount(1);
  }

  // The section survives a reload (it is in the address).
  await app.reload();
  await expect(app.sectionLink('High availability')).toHaveAttribute('aria-current', 'page');

  // Shift+Tab walks back.
  await app.sectionLink('High availability').focus();
  await page.keyboard.press('Shift+Tab');
  await expect(app.sectionLink('Restore')).toBeFocused();
});

test('the header controls are reachable by keyboard with visible focus', async ({ app, page }) => {
  await page.locator('body').focus();
  const reached = new Set<string>();
  // Skip link, switcher, Manage environments, operations, then the four sections.
  for (let presses = 0; presses < 12 && !reached.has('High availability'); presses++) {
    await page.keyboard.press('Tab');
    const focused = page.locator(':focus');
    if (!(await hasVisibleFocus(focused))) {
      throw new Error(`No visible focus on ${await focused.evaluate((element) => element.outerHTML.slice(0, 120))}`);
    }
    const name = await focused.evaluate((element) => element.getAttribute('aria-label') ?? element.textContent ?? element.id);
    reached.add(name.trim());
  }
  expect([...reached]).toEqual(
    expect.arrayContaining(['Skip to content', 'Manage environments', 'No operations running', ...SECTION_NAMES]),
  );
  await expect(app.environmentSwitcher).toBeVisible();

  // The dialog opens from the keyboard, keeps focus inside and closes on Escape.
  await page.getByRole('button', { name: 'Manage environments' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Manage environments' });
  await expect(dialog).toBeVisible();
  for (let presses = 0; presses < 5; presses++) {
    await page.keyboard.press('Tab');
    expect(
      await dialog.evaluate((node) => {
        const element = node as unknown as PageElement;
        return element.contains(element.ownerDocument.activeElement);
      }),
    ).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Manage environments' })).toBeFocused();
});

test('says so when the main process goes away', async ({ app, page, quorum }) => {
  await expect(page.getByText("Lost connection to Quorum's main process. Reconnecting…")).toHaveCount(0);
  await quorum.stop();
  await expect(page.getByRole('alert').filter({ hasText: "Lost connection to Quorum's main process. Reconnecting…" })).toBeVisible();
  // What was on screen stays, so the operator keeps their bearings.
  await expect(app.environmentSwitcher).toHaveValue('sandbox');
});
