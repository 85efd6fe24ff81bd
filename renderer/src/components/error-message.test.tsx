// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorMessage } from './error-message';

afterEach(cleanup);

describe('ErrorMessage', () => {
  it('shows the sentence, and the raw library text only behind Details', () => {
    render(
      <ErrorMessage
        title="Cannot read the topology"
        error={{
          code: 'mongo-unavailable',
          message: "juju-db's port is closed on machine 0 (10.23.0.10): nothing listens on 127.0.0.1:37017 there.",
          details: { reason: 'port-closed', raw: '(SSH) Channel open failure: Connection refused ← read ECONNRESET' },
        }}
      />,
    );
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain("juju-db's port is closed on machine 0");
    const summary = screen.getByText('Details');
    const disclosure = summary.closest('details')!;
    expect(disclosure.open).toBe(false);
    expect(disclosure.textContent).toContain('read ECONNRESET');
    fireEvent.click(summary);
    expect(disclosure.open).toBe(true);
    expect(screen.queryByRole('button', { name: 'Retry' })).toBeNull();
  });

  it('has no Details without raw text, and a Retry button that retries when given one', () => {
    const retry = vi.fn();
    const { rerender } = render(<ErrorMessage error={{ code: 'host-unreachable', message: 'Could not reach 10.0.0.1:22 over SSH. Retry.' }} onRetry={retry} />);
    expect(screen.queryByText('Details')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalledTimes(1);
    rerender(<ErrorMessage error={{ code: 'host-unreachable', message: 'x' }} onRetry={retry} retrying />);
    expect((screen.getByRole('button', { name: 'Retrying…' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
