import type { WebSocketRoute } from '@playwright/test';
import { expect, test } from './fixtures/test';

/**
 * Browser mode's connection banner in the real browser: a transient drop
 * says "Reconnecting…" and recovers; a host that refuses the page's token
 * (Quorum restarted: new launch, new token) says to open the new address and
 * stops trying. The drop is made by routing the page's WebSocket; for the
 * restart the page's cookie is swapped for an earlier launch's token, so the
 * real host refuses it as a new launch would (upgrade 401, /session marked).
 */

test.describe('connection to the browser-mode host', () => {
  test('a transient drop shows Reconnecting…, then the console is back', async ({ app, page }) => {
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/ws$/, (ws) => {
      sockets.push(ws);
      ws.connectToServer();
    });
    await app.reload();
    await expect.poll(() => sockets.length).toBeGreaterThanOrEqual(1);
    await sockets.at(-1)!.close({ code: 1006 });
    const banner = page.getByRole('alert').filter({ hasText: "Lost connection to Quorum's main process" });
    await expect(banner).toContainText('Reconnecting…');
    await expect(banner).toHaveCount(0, { timeout: 15_000 });
    expect(sockets.length).toBeGreaterThanOrEqual(2);
  });

  test('a restarted host (the page\'s token refused) says to open the new address and stops reconnecting', async ({ app, page }) => {
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/ws$/, (ws) => {
      sockets.push(ws);
      ws.connectToServer();
    });
    await app.reload();
    await expect.poll(() => sockets.length).toBeGreaterThanOrEqual(1);
    // From the page's side the host is now a new launch: its cookie carries a token the host does not know.
    const origin = new URL(page.url()).origin;
    const port = new URL(origin).port;
    await page.context().addCookies([{ name: `quorum-${port}`, value: 'an-earlier-launch-token', url: origin, httpOnly: true, sameSite: 'Strict' }]);
    await sockets[0]!.close({ code: 1006 });
    await expect(page.getByRole('alert').filter({ hasText: 'Quorum was restarted: open the new address printed in its terminal.' })).toBeVisible();
    await expect(page.getByText('Reconnecting…')).toHaveCount(0);
    const attempts = sockets.length;
    await page.waitForTimeout(3_000);
    expect(sockets.length).toBe(attempts);
    expect(attempts).toBeLessThanOrEqual(3);
  });
});
