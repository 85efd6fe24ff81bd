// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { TopologyPage } from './topology-page';
import { topologyApi } from './topology-test-api';

/** A power action that failed offers a Retry of that action on that machine. */

afterEach(cleanup);

const row = (id: string) => screen.getByRole('listitem', { name: `Machine ${id}` });

async function renderPage(api: ReturnType<typeof topologyApi>) {
  await renderWithStore(<TopologyPage />, api as unknown as FakeApi);
  await screen.findByRole('article', { name: 'Machine 0' });
}

describe('Retry a power action', () => {
  it('a power-off that failed offers Retry power off machine N, which powers the same machine off; success clears the error', async () => {
    const api = topologyApi();
    await renderPage(api);
    const message = 'The sandbox did not answer within 10 s. Check that it is running, then try again.';
    api.failNext('sandbox.powerOff', { code: 'timeout', message });
    fireEvent.click(within(row('5')).getByRole('button', { name: 'Power off machine 5' }));
    const alert = (await screen.findByText(message)).closest('[role="alert"]') as HTMLElement;
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry power off machine 5' }));
    await waitFor(() => expect(within(row('5')).getByRole('button', { name: 'Power on machine 5' })).toBeTruthy());
    expect(api.calls.filter((c) => c.channel.startsWith('sandbox.power')).map((c) => [c.channel, c.request])).toEqual([
      ['sandbox.powerOff', { machineId: '5' }],
      ['sandbox.powerOff', { machineId: '5' }],
    ]);
    expect(screen.queryByText(message)).toBeNull();
  });

  it('a refusal a second try would meet again (not the sandbox) offers no Retry', async () => {
    const api = topologyApi();
    await renderPage(api);
    api.failNext('sandbox.powerOff', { code: 'forbidden', message: 'Power controls exist only for the sandbox.' });
    fireEvent.click(within(row('5')).getByRole('button', { name: 'Power off machine 5' }));
    const alert = (await screen.findByText('Power controls exist only for the sandbox.')).closest('[role="alert"]') as HTMLElement;
    expect(within(alert).queryByRole('button', { name: /^Retry/ })).toBeNull();
  });
});
