// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { busyLabel, RetryButton, useRetry } from './retry-button';

afterEach(cleanup);

function Harness({ action, label }: { action: () => Promise<unknown>; label?: string }) {
  const retry = useRetry(action);
  return <RetryButton {...retry} label={label} />;
}

describe('RetryButton and useRetry', () => {
  it('runs the action once per press, disabled and saying so until it settles, then offered again', async () => {
    let calls = 0;
    let settle: () => void = () => undefined;
    render(<Harness label="Retry inspect" action={() => new Promise<void>((resolve) => ((calls += 1), (settle = resolve)))} />);
    const button = screen.getByRole('button', { name: 'Retry inspect' }) as HTMLButtonElement;
    fireEvent.click(button);
    const busy = screen.getByRole('button', { name: 'Retrying inspect…' }) as HTMLButtonElement;
    expect(busy.disabled).toBe(true);
    expect(busy.getAttribute('aria-busy')).toBe('true');
    fireEvent.click(busy);
    expect(calls).toBe(1);
    await act(async () => settle());
    expect((screen.getByRole('button', { name: 'Retry inspect' }) as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Retry inspect' }));
    expect(calls).toBe(2);
  });

  it('is offered again after an action that throws, and the fault is logged', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let reject: (e: Error) => void = () => undefined;
    render(<Harness action={() => new Promise<void>((_, r) => (reject = r))} />);
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(screen.getByRole('button', { name: 'Retrying…' })).toBeTruthy();
    await act(async () => reject(new Error('a fault')));
    expect((screen.getByRole('button', { name: 'Retry' }) as HTMLButtonElement).disabled).toBe(false);
    expect(logged).toHaveBeenCalledWith(new Error('a fault'));
    logged.mockRestore();
  });

  it('names its busy state after its label', () => {
    expect(busyLabel('Retry')).toBe('Retrying…');
    expect(busyLabel('Retry backup')).toBe('Retrying backup…');
    expect(busyLabel('Check again')).toBe('Check again…');
  });
});
