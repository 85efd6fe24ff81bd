import { expect, type Locator, type Page } from '@playwright/test';

export interface ManualEnvironmentValues {
  name?: string;
  addresses?: string;
  sshUser?: string;
  sshPort?: string;
  keyFile?: string;
}

/** The "Manage environments" dialog: add, edit and remove environments entered by hand. */
export class ManageEnvironmentsDialog {
  readonly root: Locator;
  readonly list: Locator;

  constructor(readonly page: Page) {
    this.root = page.getByRole('dialog', { name: 'Manage environments' });
    this.list = this.root.getByRole('list', { name: 'Environments added by hand' });
  }

  field(label: 'Name' | 'State-server addresses' | 'SSH user' | 'SSH port' | 'Key file'): Locator {
    return this.root.getByLabel(label, { exact: true });
  }

  async fill(values: ManualEnvironmentValues): Promise<void> {
    if (values.name !== undefined) await this.field('Name').fill(values.name);
    if (values.addresses !== undefined) await this.field('State-server addresses').fill(values.addresses);
    if (values.sshUser !== undefined) await this.field('SSH user').fill(values.sshUser);
    if (values.sshPort !== undefined) await this.field('SSH port').fill(values.sshPort);
    if (values.keyFile !== undefined) await this.field('Key file').fill(values.keyFile);
  }

  async startAdding(): Promise<void> {
    await this.root.getByRole('button', { name: 'Add environment' }).click();
    await expect(this.root.getByRole('form', { name: 'Add environment' })).toBeVisible();
  }

  async save(): Promise<void> {
    await this.root.getByRole('button', { name: 'Save environment' }).click();
  }

  /** Adds an environment and waits for the confirmation. */
  async add(values: ManualEnvironmentValues & { name: string }): Promise<void> {
    await this.startAdding();
    await this.fill(values);
    await this.save();
    await expect(this.root.getByRole('status')).toHaveText(`Added ${values.name}.`);
  }

  async edit(name: string, values: ManualEnvironmentValues): Promise<void> {
    await this.root.getByRole('button', { name: `Edit ${name}` }).click();
    await expect(this.root.getByRole('form', { name: `Edit ${name}` })).toBeVisible();
    await this.fill(values);
    await this.save();
    await expect(this.root.getByRole('status')).toHaveText(`Saved ${values.name ?? name}.`);
  }

  /** Asks to remove; returns the confirmation so a test can check it before confirming. */
  async askToRemove(name: string): Promise<Locator> {
    await this.root.getByRole('button', { name: `Remove ${name}` }).click();
    const confirm = this.root.getByRole('alertdialog', { name: `Remove ${name}?` });
    await expect(confirm).toBeVisible();
    return confirm;
  }

  async remove(name: string): Promise<void> {
    const confirm = await this.askToRemove(name);
    await confirm.getByRole('button', { name: 'Remove environment' }).click();
    await expect(this.root.getByRole('status')).toHaveText(`Removed ${name}.`);
  }

  row(name: string): Locator {
    return this.list.getByRole('listitem').filter({ has: this.page.getByText(name, { exact: true }) });
  }

  async close(): Promise<void> {
    await this.root.getByRole('button', { name: 'Close' }).click();
    await expect(this.root).toBeHidden();
  }
}
