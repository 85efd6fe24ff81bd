// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModalDialog } from './modal-dialog';

afterEach(cleanup);

describe('ModalDialog', () => {
  it('focuses its first control and keeps Tab inside, both ways', () => {
    render(
      <ModalDialog title="Example" onClose={() => {}}>
        <input aria-label="First field" />
        <button type="button">Last button</button>
      </ModalDialog>,
    );
    const dialog = screen.getByRole('dialog', { name: 'Example' });
    const close = screen.getByRole('button', { name: 'Close' });
    const last = screen.getByRole('button', { name: 'Last button' });
    expect(document.activeElement).toBe(close);

    last.focus();
    fireEvent.keyDown(dialog, { key: 'Tab' });
    expect(document.activeElement).toBe(close);

    fireEvent.keyDown(dialog, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
    expect(dialog.getAttribute('aria-modal')).toBe('true');
  });

  it('closes on Escape', () => {
    const onClose = vi.fn();
    render(
      <ModalDialog title="Example" onClose={onClose}>
        <p>Body</p>
      </ModalDialog>,
    );
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
  });
});
