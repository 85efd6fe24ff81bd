import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ICNS_TYPES, ICO_SIZES, ICON_SIZES, readIcns, readIco, readPngSize } from './icon-formats.mjs';

/** The committed icon set (`npm run icons` regenerates it) is complete and consistent with its names. */
const ASSETS = path.resolve(import.meta.dirname, '../assets');
const read = (rel: string) => readFile(path.join(ASSETS, rel));

describe('committed app icons', () => {
  it('the SVG source is a square vector drawing without text', async () => {
    const svg = (await read('icon.svg')).toString('utf8');
    expect(svg).toMatch(/<svg[^>]+viewBox="0 0 (\d+) \1"/);
    expect(svg).not.toMatch(/<(text|image|foreignObject)\b/);
  });

  it('assets/icons holds exactly the Linux sizes, each PNG as large as its name says', async () => {
    const names = (await readdir(path.join(ASSETS, 'icons'))).sort();
    expect(names).toEqual(ICON_SIZES.map((s) => `${s}x${s}.png`).sort());
    for (const size of ICON_SIZES) {
      expect(readPngSize(await read(`icons/${size}x${size}.png`)), `${size}x${size}.png`).toEqual({ width: size, height: size });
    }
    expect(readPngSize(await read('icon.png'))).toEqual({ width: 1024, height: 1024 });
  });

  it('icon.ico lists 16 to 256 px, each payload a PNG of the listed size', async () => {
    const entries = readIco(await read('icon.ico'));
    expect(entries.map((e) => e.width)).toEqual([...ICO_SIZES]);
    for (const e of entries) {
      expect(e.height).toBe(e.width);
      expect(e.bitCount).toBe(32);
      expect(readPngSize(e.data)).toEqual({ width: e.width, height: e.width });
      expect(e.data.equals(await read(`icons/${e.width}x${e.width}.png`)), `${e.width} px`).toBe(true);
    }
  });

  it('icon.icns holds every PNG type once, each of its size, identical to the Linux PNG of that size', async () => {
    const entries = readIcns(await read('icon.icns'));
    expect(entries.map((e) => e.type).sort()).toEqual(ICNS_TYPES.map((t) => t.type).sort());
    for (const e of entries) {
      const size = ICNS_TYPES.find((t) => t.type === e.type)!.size;
      expect(readPngSize(e.data), e.type).toEqual({ width: size, height: size });
      expect(e.data.equals(await read(`icons/${size}x${size}.png`)), e.type).toBe(true);
    }
  });
});
