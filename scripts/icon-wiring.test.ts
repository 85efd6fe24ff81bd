import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from 'vite';
import { describe, expect, it } from 'vitest';
import config from '../electron.vite.config';

/**
 * The icon reaches the places that use it: the build copies it from assets/
 * under the names the window (electron/main/window.ts) and the page
 * (renderer/index.html) ask for.
 */
const ROOT = path.resolve(import.meta.dirname, '..');

interface Part {
  readonly plugins?: unknown;
}

/** The files the build part's icon plugin emits: name -> bytes. */
function emitted(part: Part | undefined): Map<string, Buffer> {
  const plugins = ((part?.plugins ?? []) as unknown[]).flat(3) as Plugin[];
  const plugin = plugins.find((p) => p?.name === 'quorum-app-icons');
  if (!plugin) throw new Error('no quorum-app-icons plugin in this part of electron.vite.config.ts');
  const files = new Map<string, Buffer>();
  const context = {
    emitFile: (file: { fileName: string; source: Buffer }) => {
      files.set(file.fileName, file.source);
      return file.fileName;
    },
  };
  const hook = plugin.generateBundle as unknown as (this: typeof context) => void;
  hook.call(context);
  return files;
}

const asset = (rel: string) => readFile(path.join(ROOT, 'assets', rel));

describe('app icon wiring', () => {
  const parts = config as unknown as { main?: Part; renderer?: Part };

  it('main gets icon.png (256 px) and icon@2x.png (512 px), the name window.ts loads (electron/main/window.test.ts)', async () => {
    const files = emitted(parts.main);
    expect([...files.keys()].sort()).toEqual(['icon.png', 'icon@2x.png']);
    expect(files.get('icon.png')!.equals(await asset('icons/256x256.png'))).toBe(true);
    expect(files.get('icon@2x.png')!.equals(await asset('icons/512x512.png'))).toBe(true);
  });

  it('the renderer gets the favicons index.html links', async () => {
    const files = emitted(parts.renderer);
    expect(files.get('favicon.svg')!.equals(await asset('icon.svg'))).toBe(true);
    expect(files.get('favicon-32.png')!.equals(await asset('icons/32x32.png'))).toBe(true);
    const html = await readFile(path.join(ROOT, 'renderer/index.html'), 'utf8');
    const links = [...html.matchAll(/<link rel="icon" type="([^"]+)"[^>]* href="\/([^"]+)"/g)].map((m) => [m[1], m[2]]);
    expect(links).toEqual([
      ['image/svg+xml', 'favicon.svg'],
      ['image/png', 'favicon-32.png'],
    ]);
  });
});
