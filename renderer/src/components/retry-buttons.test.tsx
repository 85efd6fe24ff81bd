// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { TopologyPage } from '../features/topology/topology-page';
import { topologyApi } from '../features/topology/topology-test-api';
import type { FakeApi } from '../testing/fake-api';
import { renderWithStore } from '../testing/render-app';

afterEach(cleanup);

describe('Retry beside a connection error', () => {
  it('the topology error that says to retry has a Retry button that retries the selected environment now, and its raw detail behind Details', async () => {
    const api = topologyApi({
      snapshot: {
        environmentId: 'sandbox',
        status: 'error',
        topology: null,
        error: {
          code: 'mongo-unavailable',
          message: "juju-db's port is closed on machine 0 (10.23.0.10): nothing listens on 127.0.0.1:37017 there. Check it with `sudo service juju-db status`, then retry.",
          details: { reason: 'port-closed', raw: '(SSH) Channel open failure: Connection refused' },
        },
      },
    });
    await renderWithStore(<TopologyPage />, api as unknown as FakeApi);
    const alert = (await screen.findByText(/port is closed on machine 0/)).closest('[role="alert"]') as HTMLElement;
    expect(within(alert).getByText('Details')).toBeTruthy();
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(api.calls.filter((c) => c.channel === 'connection.retry').map((c) => c.request)).toEqual([{ environmentId: 'sandbox' }]));
  });
});
