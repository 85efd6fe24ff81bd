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

test.describe('switching environments', () => {
  test.setTimeout(180_000);

  test("never shows the sandbox's machines under another environment's name, not even for a frame", async ({ app, page }) => {
    // Widen the race main leaves between announcing a selection and the new environment's first snapshot:
    // once switching, every frame carrying a topology snapshot reaches the page 1.5 s late, and the
    // sandbox's last topology.changed is sent again afterwards (a round that was in flight).
    let switching = false;
    let lastSandboxFrame: string | null = null;
    let toPage: (frame: string) => void = () => undefined;
    await page.routeWebSocket(/./, (ws) => {
      toPage = (frame) => ws.send(frame);
      const server = ws.connectToServer();
      ws.onMessage((message) => server.send(message));
      server.onMessage((message) => {
        const text = typeof message === 'string' ? message : message.toString('utf8');
        // Topology snapshots: topology.changed events and the replies to topology.watch.
        if (!text.includes('"topology":')) return ws.send(message);
        if (text.includes('"event":"topology.changed"') && text.includes('"environmentId":"sandbox"')) lastSandboxFrame = text;
        if (!switching) return ws.send(message);
        setTimeout(() => ws.send(text), 1_500);
      });
    });
    await app.reload();
    await app.sectionLink('Topology').click();
    await expect(app.environmentSwitcher).toHaveValue('sandbox');
    const sandboxCard = page.getByRole('article', { name: 'Machine 0' });
    await expect(sandboxCard.getByText('has-vote', { exact: true })).toBeVisible({ timeout: 90_000 });

    // Record every DOM state (and frame) from now on in which the switcher names another environment while
    // the page shows the sandbox's machines (a card or a row, or one of its 10.23.0.x addresses).
    // (A script string: the e2e project is typed without the DOM library.)
    await page.evaluate(`(() => {
      const leaks = [];
      window.quorumLeaks = leaks;
      const check = () => {
        const switcher = document.querySelector('select');
        if (switcher === null || switcher.value === 'sandbox') return;
        const main = document.querySelector('main');
        const machines = [...(main ? main.querySelectorAll('[aria-label^="Machine "]') : [])].map((e) => e.getAttribute('aria-label'));
        const addresses = /10\\.23\\.0\\.\\d+/.exec(main ? main.textContent : '');
        if ((machines.length > 0 || addresses !== null) && leaks.length < 20) leaks.push((switcher.value + ': ' + machines.join(', ') + ' ' + (addresses ? addresses[0] : '')).trim());
      };
      // On every DOM change, and on every frame (the switcher's value is a property: changing it mutates nothing).
      new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      const everyFrame = () => {
        check();
        requestAnimationFrame(everyFrame);
      };
      requestAnimationFrame(everyFrame);
    })()`);

    // prod's state servers (10.55.0.x) do not exist: it stays loading, then says why, under its own name.
    switching = true;
    await app.selectEnvironment('prod (Juju)');
    await expect(app.environmentSwitcher).toHaveValue('juju:prod');
    expect(lastSandboxFrame).not.toBeNull();
    setTimeout(() => toPage(lastSandboxFrame!), 2_500);
    await expect(app.main.getByText(/Connecting to the state servers of prod…|Cannot read the topology/).first()).toBeVisible();
    await expect(app.main.getByText('Connecting to the state servers of sandbox')).toHaveCount(0);
    // Let late sandbox rounds and the renewed watch's reply arrive.
    await page.waitForTimeout(3_000);
    await expect(app.main.getByRole('article')).toHaveCount(0);
    const leaks = async () => (await page.evaluate('window.quorumLeaks')) as string[];
    expect(await leaks()).toEqual([]);

    // The Backups page too: prod's plan is its own (loading or its error), never the sandbox's members.
    await app.sectionLink('Backups').click();
    await expect(app.pageHeading('Backups')).toBeVisible();
    const create = app.main.getByRole('button', { name: 'Create backup' });
    await expect(create).toBeDisabled();
    await expect(create).toHaveAccessibleDescription(/Waiting for the state servers|cannot read the replica set/);

    // Back to the sandbox: its machines again.
    await app.selectEnvironment('sandbox (built in)');
    await app.sectionLink('Topology').click();
    await expect(sandboxCard).toBeVisible({ timeout: 30_000 });

    expect(await leaks()).toEqual([]);
  });
});
