import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures/test';
import { FIXTURE, JENV_PASSWORD } from './fixtures/juju-home';

test.describe('environment switcher', () => {
  test('lists the sandbox, the Juju environments and the malformed one with its error', async ({ app, page }) => {
    const labels = await app.environmentLabels();
    expect(labels[0]).toBe('sandbox (built in)');
    expect(labels).toContain('prod (Juju)');
    expect(labels).toContain(`${FIXTURE.current} (Juju, current)`);
    expect(labels).toContain(`${FIXTURE.malformed} (Juju) — error`);
    expect(labels).toHaveLength(4);

    // The .jenv password never reaches the renderer.
    expect(await page.content()).not.toContain(JENV_PASSWORD);
  });

  test('choosing the malformed environment shows its error and what to do', async ({ app }) => {
    await expect(app.main.getByRole('alert')).toHaveCount(0);
    await app.selectEnvironment(`${FIXTURE.malformed} (Juju) — error`);
    const alert = app.main.getByRole('alert');
    await expect(alert).toContainText(`The environment “${FIXTURE.malformed}” cannot be used.`);
    await expect(alert).toContainText('Choose another environment');
    await expect(alert).toContainText(`${FIXTURE.malformed}.jenv`);
    // It is not taken as the selection: the switcher stays on a healthy one.
    await expect(app.environmentSwitcher).not.toHaveValue(`juju:${FIXTURE.malformed}`);
    await expect(app.environmentSwitcher).toHaveAttribute('aria-invalid', 'false');

    await app.selectEnvironment('prod (Juju)');
    await expect(app.main.getByRole('alert')).toHaveCount(0);
    await expect(app.environmentSwitcher).toHaveValue('juju:prod');
  });
});

test.describe('environments added by hand', () => {
  test('add one, reload, it is still there; edit it; remove it', async ({ app, quorum }) => {
    const keyFile = path.join(quorum.quorumHome, '..', 'lab_id_ed25519');
    await writeFile(keyFile, 'not a real key\n', { mode: 0o600 });

    let dialog = await app.openManageEnvironments();
    await expect(dialog.root.getByText('No environments added by hand yet.')).toBeVisible();
    await dialog.add({ name: 'lab', addresses: '10.77.0.5\n10.77.0.6, 10.77.0.7', keyFile });
    await expect(dialog.row('lab')).toContainText('3 state servers · SSH on port 22 as ubuntu');
    await dialog.close();
    await expect(app.environmentOption('lab (manual)')).toHaveCount(1);

    await app.reload();
    await expect(app.environmentOption('lab (manual)')).toHaveCount(1);

    dialog = await app.openManageEnvironments();
    await expect(dialog.row('lab')).toBeVisible();
    await dialog.edit('lab', { sshUser: 'admin', sshPort: '2222', addresses: '10.77.0.9' });
    await expect(dialog.row('lab')).toContainText('1 state server · SSH on port 2222 as admin');
    await dialog.close();

    await app.reload();
    dialog = await app.openManageEnvironments();
    await expect(dialog.row('lab')).toContainText('10.77.0.9');
    await expect(dialog.row('lab')).toContainText('SSH on port 2222 as admin');

    const confirm = await dialog.askToRemove('lab');
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await expect(dialog.row('lab')).toBeVisible();
    await dialog.remove('lab');
    await expect(dialog.root.getByText('No environments added by hand yet.')).toBeVisible();
    await dialog.close();
    await expect(app.environmentOption('lab (manual)')).toHaveCount(0);

    await app.reload();
    await expect(app.environmentOption('lab (manual)')).toHaveCount(0);
  });

  test('invalid fields and a duplicate name are shown beside the fields', async ({ app, quorum }) => {
    const keyFile = path.join(quorum.quorumHome, '..', 'dup_id');
    await writeFile(keyFile, 'not a real key\n', { mode: 0o600 });
    const dialog = await app.openManageEnvironments();

    await dialog.startAdding();
    await dialog.fill({ name: 'bad name!', addresses: '', sshPort: '70000' });
    await dialog.save();
    await expect(dialog.field('Name')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.field('Name')).toHaveAccessibleDescription(/use letters, digits, dot, dash or underscore/i);
    await expect(dialog.field('Name')).toBeFocused();
    await expect(dialog.field('State-server addresses')).toHaveAccessibleDescription(/at least one state-server address is required/i);
    await expect(dialog.field('SSH port')).toHaveAccessibleDescription(/between 1 and 65535/);
    await dialog.root.getByRole('button', { name: 'Cancel' }).click();

    await dialog.add({ name: 'dup', addresses: '10.88.0.1', keyFile });
    await dialog.startAdding();
    await dialog.fill({ name: 'dup', addresses: '10.88.0.2', keyFile });
    await dialog.save();
    await expect(dialog.field('Name')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.field('Name')).toHaveAccessibleDescription(/dup/);
  });
});
