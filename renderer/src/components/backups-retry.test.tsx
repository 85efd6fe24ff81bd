// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { QuorumApi } from '../../../shared/ipc/contract';
import { BackupsPage } from '../features/backups/backups-page';
import { createFakeApi, type FakeApi } from '../testing/fake-api';
import { renderWithStore } from '../testing/render-app';

afterEach(cleanup);

describe('Retry beside a backup list error', () => {
  it('a backup list that could not be read has a Retry that reads it again', async () => {
    const base = createFakeApi();
    let lists = 0;
    const api = {
      ...base,
      on: base.on.bind(base),
      invoke: (async (channel: string, request: unknown) => {
        if (channel === 'backups.list') {
          lists++;
          return lists === 1
            ? { ok: false, error: { code: 'host-unreachable', message: 'Could not reach 10.23.0.10:22 over SSH: connection refused. Check the machine is running, then retry.' } }
            : { ok: true, value: { folder: '/b', items: [], invalid: [], serverError: null } };
        }
        if (channel === 'backups.plan') return { ok: false, error: { code: 'host-unreachable', message: 'down' } };
        return base.invoke(channel as never, request as never);
      }) as QuorumApi['invoke'],
    } as unknown as FakeApi;
    await renderWithStore(<BackupsPage />, api);
    const alert = (await screen.findByText(/Could not reach 10.23.0.10:22/)).closest('[role="alert"]') as HTMLElement;
    fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(screen.queryByText(/Could not reach 10.23.0.10:22/)).toBeNull());
    expect(lists).toBe(2);
  });
});
