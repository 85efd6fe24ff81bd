import { expect, type Locator, type Page } from '@playwright/test';
import { ManageEnvironmentsDialog } from './manage-environments-dialog';

export const SECTION_NAMES = ['Topology', 'Backups', 'Restore', 'High availability'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

/** The console's shell, found by role and accessible name only. */
export class AppShell {
  readonly environmentSwitcher: Locator;
  readonly sections: Locator;
  readonly main: Locator;

  constructor(readonly page: Page) {
    this.environmentSwitcher = page.getByRole('combobox', { name: 'Environment' });
    this.sections = page.getByRole('navigation', { name: 'Sections' });
    this.main = page.getByRole('main');
  }

  /** Opens the console and waits until main has listed the environments. */
  async open(url: string): Promise<void> {
    await this.page.goto(url);
    await this.waitForEnvironments();
  }

  async reload(): Promise<void> {
    await this.page.reload();
    await this.waitForEnvironments();
  }

  async waitForEnvironments(): Promise<void> {
    await expect(this.environmentSwitcher).toBeEnabled();
    await expect(this.environmentOption(/^sandbox\b/)).toHaveCount(1);
  }

  environmentOption(name: string | RegExp): Locator {
    return this.environmentSwitcher.getByRole('option', { name, exact: typeof name === 'string' });
  }

  async environmentLabels(): Promise<string[]> {
    return (await this.environmentSwitcher.getByRole('option').allTextContents()).map((text) => text.trim());
  }

  async selectEnvironment(label: string): Promise<void> {
    await this.environmentSwitcher.selectOption({ label });
  }

  sectionLink(name: SectionName): Locator {
    return this.sections.getByRole('link', { name, exact: true });
  }

  pageHeading(name: string): Locator {
    return this.main.getByRole('heading', { level: 1, name });
  }

  async openManageEnvironments(): Promise<ManageEnvironmentsDialog> {
    await this.page.getByRole('button', { name: 'Manage environments' }).click();
    const dialog = new ManageEnvironmentsDialog(this.page);
    await expect(dialog.root).toBeVisible();
    return dialog;
  }
}
