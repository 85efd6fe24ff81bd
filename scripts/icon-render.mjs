/* global document -- used inside page.evaluate, which runs in the page */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

/**
 * Rasterizes an SVG at each requested square size in headless Chromium
 * (through Playwright, already a dev dependency): the SVG is drawn by an
 * <img> at exactly n x n CSS pixels, device scale 1, and captured with a
 * transparent background. Chromium is Debian's `/usr/bin/chromium`, or
 * QUORUM_CHROMIUM, or Playwright's own download.
 */

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath() {
  if (process.env.QUORUM_CHROMIUM) return process.env.QUORUM_CHROMIUM;
  return existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined;
}

async function launch() {
  const executablePath = chromiumPath();
  try {
    return await chromium.launch({
      headless: true,
      ...(executablePath ? { executablePath } : {}),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  } catch (err) {
    const tried = executablePath ?? "Playwright's own Chromium";
    throw new Error(
      `Could not start Chromium (${tried}) to render the icons: ${err instanceof Error ? err.message.split('\n')[0] : err}\n` +
        'Set QUORUM_CHROMIUM to a Chromium or Chrome binary, or run `npx playwright install chromium`, then run `npm run icons` again.',
    );
  }
}

/** Map of size -> PNG for the SVG source text. */
export async function renderSvg(svg, sizes) {
  const largest = Math.max(...sizes);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: largest, height: largest }, deviceScaleFactor: 1 });
    const src = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    await page.setContent(
      '<!doctype html><html><head><style>html,body{margin:0;background:transparent}img{display:block}</style></head>' +
        `<body><img id="icon" alt="" src="${src}"></body></html>`,
    );
    const out = new Map();
    for (const size of sizes) {
      await page.evaluate(async (n) => {
        const img = document.getElementById('icon');
        img.width = n;
        img.height = n;
        await img.decode();
      }, size);
      out.set(size, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    }
    return out;
  } finally {
    await browser.close();
  }
}
