// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { HaPage } from './ha-page';
import { haApi, server, worker, type HaTestApi } from './ha-test-api';

/** The HA page's Retry buttons: Juju's plan asked for again, an Apply sent again as it was, the status read again. */

afterEach(cleanup);

const ONE = [server('0'), worker('1'), worker('2')];
const UNREACHABLE = { code: 'juju-api-unreachable' as const, message: 'juju-api on 10.23.0.10:17070 closed the connection. Check that the state server is up, then try again.' };
const calls = (api: HaTestApi, channel: string) => api.calls.filter((c) => c.channel === channel).map((c) => c.request);

async function renderPage(api: HaTestApi) {
  await renderWithStore(<HaPage />, api as unknown as FakeApi);
  return screen.findByRole('slider', { name: 'State servers' });
}

function alertWith(text: string): HTMLElement {
  return screen.getAllByRole('alert').find((a) => a.textContent?.includes(text)) as HTMLElement;
}

describe('HA page: Retry', () => {
  it("a plan that could not be read offers Retry plan, which asks for the same count again; the plan replaces the error", async () => {
    const api = haApi(ONE);
    const slider = await renderPage(api);
    // The current count's plan first; the next one fails.
    await waitFor(() => expect(calls(api, 'ha.preview')).toHaveLength(1));
    api.failNext('ha.preview', UNREACHABLE);
    fireEvent.keyDown(slider, { key: 'ArrowRight' });
    const alert = await waitFor(() => alertWith('closed the connection'));
    expect(alert.textContent).toContain('Plan: ');
    const asked = calls(api, 'ha.preview');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry plan' }));
    expect(await screen.findByRole('list', { name: "Juju's plan" })).toBeTruthy();
    expect(calls(api, 'ha.preview').at(-1)).toEqual(asked.at(-1));
    expect(calls(api, 'ha.preview').at(-1)).toEqual({ environmentId: 'sandbox', n: 3 });
    expect(screen.queryByText(/closed the connection/)).toBeNull();
  });

  it('an Apply that failed to reach Juju offers Retry apply, which sends the same change; once it starts the error goes', async () => {
    const api = haApi(ONE);
    const slider = await renderPage(api);
    fireEvent.keyDown(slider, { key: 'ArrowRight' });
    const apply = await screen.findByRole('button', { name: 'Apply…' });
    await waitFor(() => expect(apply).toHaveProperty('disabled', false));
    fireEvent.click(apply);
    api.failNext('ha.apply', UNREACHABLE);
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Apply' }));
    const alert = await waitFor(() => alertWith('closed the connection'));
    expect(alert.textContent).toContain('Apply: ');
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry apply' }));
    await waitFor(() => expect(calls(api, 'ha.apply')).toEqual([{ environmentId: 'sandbox', n: 3 }, { environmentId: 'sandbox', n: 3 }]));
    await waitFor(() => expect(screen.queryByText(/closed the connection/)).toBeNull());
  });

  it('a refused login offers the password form, not Retry apply', async () => {
    const api = haApi(ONE);
    const slider = await renderPage(api);
    fireEvent.keyDown(slider, { key: 'ArrowRight' });
    const apply = await screen.findByRole('button', { name: 'Apply…' });
    await waitFor(() => expect(apply).toHaveProperty('disabled', false));
    fireEvent.click(apply);
    api.failNext('ha.apply', { code: 'juju-login-refused', message: 'invalid entity name or password' });
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Apply' }));
    expect(await screen.findByLabelText('Admin password', { selector: 'input' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Retry apply' })).toBeNull();
  });

  it('a recovery plan that could not be read offers Retry, which reads it again; the plan replaces the error', async () => {
    const api = haApi([server('0'), server('1'), server('2', { available: false, agentState: 'down' }), worker('3')]);
    await renderPage(api);
    api.failNext('ha.recoveryPlan', UNREACHABLE);
    fireEvent.click(screen.getByRole('button', { name: 'Start recovery' }));
    const recovery = screen.getByRole('region', { name: 'Recover from failed state servers' });
    const alert = await within(recovery).findByRole('alert');
    expect(alert.textContent).toContain('closed the connection');
    api.setRecoveryPlan({ environmentId: 'sandbox', situation: 'recoverable', step: 1, failedMachineIds: ['2'], sentence: 'Ensure availability demotes machine 2 and adds a replacement.', waitFor: null, preview: null, removeMachineIds: [] });
    const before = calls(api, 'ha.recoveryPlan').length;
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    expect(await within(recovery).findByText(/Ensure availability demotes machine 2/)).toBeTruthy();
    expect(calls(api, 'ha.recoveryPlan').length).toBe(before + 1);
    expect(calls(api, 'ha.recoveryPlan').at(-1)).toEqual(calls(api, 'ha.recoveryPlan').at(0));
    expect(within(recovery).queryByRole('alert')).toBeNull();
  });
});
