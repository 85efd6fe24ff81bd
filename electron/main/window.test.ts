import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SecretRegistry } from '../../shared/redact';
import { createMemoryLogger } from '../services/log';

/**
 * The window's icon: the PNG the build copies beside the main bundle
 * (electron.vite.config.ts, tested in scripts/icon-wiring.test.ts) on Linux
 * and Windows; none on macOS, where the bundle's icon.icns is the icon.
 */
const created = vi.hoisted(() => [] as Record<string, unknown>[]);

vi.mock('electron', () => {
  class BrowserWindow {
    readonly webContents = { on() {}, setWindowOpenHandler() {} };
    constructor(options: Record<string, unknown>) {
      created.push(options);
    }
    once() {}
    loadURL() {
      return Promise.resolve();
    }
  }
  return { BrowserWindow, shell: { openExternal: () => Promise.resolve() } };
});

const { createMainWindow } = await import('./window');
const platform = process.platform;

afterEach(() => {
  Object.defineProperty(process, 'platform', { value: platform });
  created.length = 0;
});

function iconOn(os: NodeJS.Platform): unknown {
  Object.defineProperty(process, 'platform', { value: os });
  createMainWindow({ preload: '/p.cjs', log: createMemoryLogger(new SecretRegistry()) });
  return created.at(-1)?.icon;
}

describe('window icon', () => {
  it('is icon.png beside the main bundle on Linux and Windows', () => {
    const expected = path.join(import.meta.dirname, 'icon.png');
    expect(iconOn('linux')).toBe(expected);
    expect(iconOn('win32')).toBe(expected);
  });

  it('is left to the app bundle on macOS', () => {
    expect(iconOn('darwin')).toBeUndefined();
  });
});
