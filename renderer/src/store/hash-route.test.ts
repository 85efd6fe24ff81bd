// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { createFakeApi } from '../testing/fake-api';
import { createAppStore } from './create-app-store';
import { sectionFromHash, startHashSync } from './hash-route';

describe('hash route', () => {
  it('reads only known sections', () => {
    expect(sectionFromHash('#/backups')).toBe('backups');
    expect(sectionFromHash('#ha')).toBe('ha');
    expect(sectionFromHash('#/nowhere')).toBeNull();
    expect(sectionFromHash('')).toBeNull();
  });

  it('starts on the section in the address and keeps the address in step, query untouched', () => {
    window.history.replaceState(null, '', '/?view=1#/restore');
    const store = createAppStore(createFakeApi());
    const stop = startHashSync(store);
    expect(store.getState().section).toBe('restore');

    store.getState().navigate('ha');
    expect(window.location.hash).toBe('#/ha');
    expect(window.location.search).toBe('?view=1');

    window.location.hash = '#/backups';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(store.getState().section).toBe('backups');
    stop();
    store.getState().navigate('topology');
    expect(window.location.hash).toBe('#/backups');
  });
});
