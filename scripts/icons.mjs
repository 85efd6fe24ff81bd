#!/usr/bin/env node
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ICO_SIZES, ICON_SIZES, icnsEntriesFor, readPngSize, writeIcns, writeIco } from './icon-formats.mjs';
import { renderSvg } from './icon-render.mjs';
import { ROOT } from './tool-paths.mjs';

/**
 * `npm run icons`: regenerates the app icon set from `assets/icon.svg`:
 * - `assets/icons/<n>x<n>.png` for the Linux packages (electron-builder reads the folder),
 * - `assets/icon.png` (1024 px),
 * - `assets/icon.icns` (macOS) and `assets/icon.ico` (Windows).
 * The outputs are committed, so packaging never needs this script; run it
 * after editing the SVG and commit what changed.
 */

const ASSETS = path.join(ROOT, 'assets');

async function main() {
  const svg = await readFile(path.join(ASSETS, 'icon.svg'), 'utf8');
  const pngs = await renderSvg(svg, ICON_SIZES);
  for (const [size, png] of pngs) {
    const { width, height } = readPngSize(png);
    if (width !== size || height !== size) throw new Error(`Chromium rendered ${width}x${height} for ${size} px.`);
  }
  await mkdir(path.join(ASSETS, 'icons'), { recursive: true });
  const written = [];
  const write = async (rel, data) => {
    await writeFile(path.join(ASSETS, rel), data);
    written.push(`${rel} (${data.length} bytes)`);
  };
  for (const [size, png] of pngs) await write(`icons/${size}x${size}.png`, png);
  await write('icon.png', pngs.get(1024));
  await write('icon.ico', writeIco(ICO_SIZES.map((s) => pngs.get(s))));
  await write('icon.icns', writeIcns(icnsEntriesFor(pngs)));
  console.log(`Wrote from assets/icon.svg:\n  ${written.join('\n  ')}`);
}

main().catch((err) => {
  console.error(`icons: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
