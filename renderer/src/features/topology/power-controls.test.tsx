// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../../testing/fake-api';
import { renderWithStore } from '../../testing/render-app';
import { TopologyPage } from './topology-page';
import { ready, topologyApi } from './topology-test-api';

afterEach(cleanup);

const card = (id: string) => screen.getByRole('article', { name: `Machine ${id}` });
const row = (id: string) => screen.getByRole('listitem', { name: `Machine ${id}` });
const powerButtons = (scope: HTMLElement) => within(scope).queryAllByRole('button', { name: /^Power(ing)? (off|on)/ }).map((b) => b.textContent);

async function renderPage(api: ReturnType<typeof topologyApi>) {
  const view = await renderWithStore(<TopologyPage />, api as unknown as FakeApi);
  await screen.findByRole('article', { name: 'Machine 0' });
  return view;
}

describe('power controls', () => {
  it('offer Power off for a running machine and Power on for one that is down, never both', async () => {
    const api = topologyApi({ snapshot: ready({ down: ['0'], primary: '1', agentsDown: ['4'] }) });
    await renderPage(api);
    expect(powerButtons(card('0'))).toEqual(['Power on machine 0']);
    expect(powerButtons(card('1'))).toEqual(['Power off machine 1']);
    expect(powerButtons(row('3'))).toEqual(['Power off machine 3']);
    expect(powerButtons(row('4'))).toEqual(['Power on machine 4']);
  });

  it('switch to Power on as soon as a power-off succeeds, before the topology shows the machine down, and back', async () => {
    const api = topologyApi();
    await renderPage(api);
    fireEvent.click(within(row('3')).getByRole('button', { name: 'Power off machine 3' }));
    expect(powerButtons(row('3'))).toEqual(['Powering off machine 3…']);
    await waitFor(() => expect(powerButtons(row('3'))).toEqual(['Power on machine 3']));
    // A fresh read that still shows it up (its agent's presence has not lapsed yet) does not flip it back.
    api.push(ready({ lag: { '1': 1 } }));
    expect(powerButtons(row('3'))).toEqual(['Power on machine 3']);
    // Once the topology agrees (down), it says so by itself.
    api.push(ready({ agentsDown: ['3'] }));
    expect(powerButtons(row('3'))).toEqual(['Power on machine 3']);
    fireEvent.click(within(row('3')).getByRole('button', { name: 'Power on machine 3' }));
    await waitFor(() => expect(powerButtons(row('3'))).toEqual(['Power off machine 3']));
    expect(api.calls.filter((c) => c.channel.startsWith('sandbox.power')).map((c) => [c.channel, c.request])).toEqual([
      ['sandbox.powerOff', { machineId: '3' }],
      ['sandbox.powerOn', { machineId: '3' }],
    ]);
  });

  it('keep the machine’s power button when the action is refused', async () => {
    const api = topologyApi();
    await renderPage(api);
    api.failNext('sandbox.powerOff', { code: 'forbidden', message: 'Power controls exist only for the sandbox.' });
    fireEvent.click(within(row('5')).getByRole('button', { name: 'Power off machine 5' }));
    await screen.findByText('Power controls exist only for the sandbox.');
    expect(powerButtons(row('5'))).toEqual(['Power off machine 5']);
  });
});
