import { expect, test } from './fixtures/test';

test('without the token the page is refused (401), not the app', async ({ browser, quorum }) => {
  // A fresh context: no cookie from an earlier visit with the token.
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const response = await page.goto(`${quorum.origin}/`);
    expect(response?.status()).toBe(401);
    await expect(page.getByRole('combobox', { name: 'Environment' })).toHaveCount(0);
    await expect(page.getByRole('navigation', { name: 'Sections' })).toHaveCount(0);

    const wrong = await page.goto(`${quorum.origin}/?token=not-the-token`);
    expect(wrong?.status()).toBe(401);

    // With the printed URL the same browser gets the console.
    await page.goto(quorum.url);
    await expect(page.getByRole('combobox', { name: 'Environment' })).toBeEnabled();
  } finally {
    await context.close();
  }
});

test('the token does not stay in the address bar', async ({ app, page }) => {
  await expect(app.environmentSwitcher).toBeEnabled();
  expect(new URL(page.url()).searchParams.has('token')).toBe(false);
});
