import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from './fixtures/test';

/** The app icon as the browser-mode favicon: linked from the page, served by the host, allowed by the CSP. */
const ASSETS = path.resolve(import.meta.dirname, '../assets');

test('the page links the app icon as its favicon and the host serves it as an image', async ({ app, page }) => {
  await expect(app.environmentSwitcher).toBeEnabled();
  const icons = page.locator('link[rel="icon"]');
  await expect(icons).toHaveCount(2);
  const links = await Promise.all(
    [0, 1].map(async (i) => ({
      type: await icons.nth(i).getAttribute('type'),
      href: new URL((await icons.nth(i).getAttribute('href')) ?? '', page.url()).href,
    })),
  );
  const origin = new URL(page.url()).origin;
  expect(links).toEqual([
    { type: 'image/svg+xml', href: `${origin}/favicon.svg` },
    { type: 'image/png', href: `${origin}/favicon-32.png` },
  ]);

  const expected = [
    { href: links[0]!.href, contentType: 'image/svg+xml', file: 'icon.svg', size: 64 },
    { href: links[1]!.href, contentType: 'image/png', file: 'icons/32x32.png', size: 32 },
  ];
  for (const icon of expected) {
    // The page's own request context carries the session cookie, as the browser's favicon request does.
    const response = await page.request.get(icon.href);
    expect(response.status(), icon.href).toBe(200);
    expect(response.headers()['content-type']).toBe(icon.contentType);
    expect((await response.body()).equals(await readFile(path.join(ASSETS, icon.file))), `${icon.href} is assets/${icon.file}`).toBe(true);
    // The page may load it (the CSP's img-src allows it; a violation would fail the fixture) and it decodes.
    const width = await page.evaluate(`(async () => {
      const img = new Image();
      img.src = ${JSON.stringify(icon.href)};
      await img.decode();
      return img.naturalWidth;
    })()`);
    expect(width, icon.href).toBe(icon.size);
  }
});
