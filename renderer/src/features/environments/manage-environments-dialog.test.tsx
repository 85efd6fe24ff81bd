// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../app';
import { createFakeApi, jujuEnvironment, type FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';

afterEach(cleanup);

function openDialog() {
  fireEvent.click(screen.getByRole('button', { name: 'Manage environments' }));
  return screen.getByRole('dialog', { name: 'Manage environments' });
}

function fill(dialog: HTMLElement, values: Partial<Record<'Name' | 'State-server addresses' | 'SSH user' | 'SSH port' | 'Key file', string>>) {
  for (const [label, value] of Object.entries(values)) {
    fireEvent.change(within(dialog).getByLabelText(label), { target: { value } });
  }
}

async function addLab(api: FakeApi) {
  await renderWithStore(<App />, api);
  const dialog = openDialog();
  fireEvent.click(within(dialog).getByRole('button', { name: 'Add environment' }));
  fill(dialog, { Name: 'lab', 'State-server addresses': '10.1.0.5, 10.1.0.6\n10.1.0.7', 'Key file': '/keys/lab' });
  fireEvent.click(within(dialog).getByRole('button', { name: 'Save environment' }));
  await within(dialog).findByText('Added lab.');
  return dialog;
}

describe('manage environments', () => {
  it('adds an environment with the SSH defaults and lists it in the switcher', async () => {
    const api = createFakeApi();
    const dialog = await addLab(api);
    expect(api.calls.find((call) => call.channel === 'environments.add')?.request).toEqual({
      name: 'lab',
      stateServers: ['10.1.0.5', '10.1.0.6', '10.1.0.7'],
      sshUser: 'ubuntu',
      sshPort: 22,
      keyFile: '/keys/lab',
    });
    expect(within(dialog).getByRole('list', { name: 'Environments added by hand' }).textContent).toContain('lab');
    const switcher = screen.getByRole('combobox', { name: 'Environment' });
    expect(within(switcher).getByRole('option', { name: 'lab (manual)' })).toBeTruthy();
  });

  it('checks the fields before sending and shows each error beside its field', async () => {
    const api = createFakeApi();
    await renderWithStore(<App />, api);
    const dialog = openDialog();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add environment' }));
    fill(dialog, { Name: 'bad name!', 'State-server addresses': '', 'SSH port': '70000' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save environment' }));

    const name = within(dialog).getByLabelText('Name');
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(name.getAttribute('aria-describedby') ?? '')?.textContent).toBe(
      'Use letters, digits, dot, dash or underscore.',
    );
    expect(document.activeElement).toBe(name);
    expect(within(dialog).getByText('At least one state-server address is required.')).toBeTruthy();
    expect(within(dialog).getByText('Enter a port number between 1 and 65535.')).toBeTruthy();
    expect(within(dialog).getByText('A private key file is required.')).toBeTruthy();
    expect(api.calls.some((call) => call.channel === 'environments.add')).toBe(false);
  });

  it('shows a conflict from main beside the name', async () => {
    const api = createFakeApi();
    const dialog = await addLab(api);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add environment' }));
    fill(dialog, { Name: 'lab', 'State-server addresses': '10.9.9.9', 'Key file': '/keys/other' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save environment' }));
    const error = await within(dialog).findByText('An environment named "lab" already exists. Choose another name.');
    const name = within(dialog).getByLabelText('Name');
    expect(name.getAttribute('aria-describedby')).toContain(error.id);
  });

  it('places invalid-input issues reported by main beside their fields', async () => {
    const api = createFakeApi();
    await renderWithStore(<App />, api);
    const dialog = openDialog();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Add environment' }));
    fill(dialog, { Name: 'lab', 'State-server addresses': '10.1.0.5', 'Key file': '/keys/missing' });
    api.failNext('environments.add', {
      code: 'invalid-input',
      message: 'Invalid request for environments.add: keyFile: no such file on this computer. Correct the value and try again.',
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save environment' }));
    await within(dialog).findByText('No such file on this computer.');
    expect(within(dialog).getByLabelText('Key file').getAttribute('aria-invalid')).toBe('true');
    expect(within(dialog).getByLabelText('Name').getAttribute('aria-invalid')).toBe('false');
  });

  it('edits an environment, prefilled with its current values', async () => {
    const api = createFakeApi();
    const dialog = await addLab(api);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Edit lab' }));
    expect(within(dialog).getByLabelText<HTMLTextAreaElement>('State-server addresses').value).toBe('10.1.0.5\n10.1.0.6\n10.1.0.7');
    fill(dialog, { 'SSH user': 'admin', 'SSH port': '2222' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save environment' }));
    await within(dialog).findByText('Saved lab.');
    expect(within(dialog).getByText('3 state servers · SSH on port 2222 as admin')).toBeTruthy();
  });

  it('asks before removing, and keeps the environment when told to', async () => {
    const api = createFakeApi();
    const dialog = await addLab(api);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove lab' }));
    const confirm = within(dialog).getByRole('alertdialog', { name: 'Remove lab?' });
    expect(document.activeElement).toBe(within(confirm).getByRole('button', { name: 'Keep it' }));
    fireEvent.click(within(confirm).getByRole('button', { name: 'Keep it' }));
    expect(api.calls.some((call) => call.channel === 'environments.remove')).toBe(false);

    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove lab' }));
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove environment' }));
    await within(dialog).findByText('Removed lab.');
    expect(within(dialog).getByText('No environments added by hand yet.')).toBeTruthy();
    const switcher = screen.getByRole('combobox', { name: 'Environment' });
    expect(within(switcher).queryByRole('option', { name: 'lab (manual)' })).toBeNull();
  });

  it('shows an unreadable manual store as an error, with nothing to edit', async () => {
    const unreadable = jujuEnvironment('manual-store', {
      id: 'manual-store',
      kind: 'manual',
      error: { code: 'environment-invalid', message: 'environments.json is not valid JSON. Fix or delete it.' },
    });
    await renderWithStore(<App />, createFakeApi({ environments: [unreadable] }));
    const dialog = openDialog();
    expect(within(dialog).getByText('environments.json is not valid JSON. Fix or delete it.')).toBeTruthy();
    expect(within(dialog).queryByRole('button', { name: 'Edit manual-store' })).toBeNull();
    expect(within(dialog).queryByRole('button', { name: 'Remove manual-store' })).toBeNull();
  });

  it('closes on Escape and gives focus back to the button that opened it', async () => {
    await renderWithStore(<App />, createFakeApi());
    const opener = screen.getByRole('button', { name: 'Manage environments' });
    opener.focus();
    const dialog = openDialog();
    expect(dialog.contains(document.activeElement)).toBe(true);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.activeElement).toBe(opener);
  });
});
