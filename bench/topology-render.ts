/**
 * Topology render benchmark: the real Topology page and store, in Debian's
 * Chromium, rendering a 1,000-machine environment (7 state servers) and then
 * 20 successive updates that each change a few members (lag, a state server
 * down every third step, three workload agents). The longest renderer task
 * is measured with a `PerformanceObserver` for `longtask` (tasks ≥ 50 ms)
 * and, for every update, the time from the frame's arrival to the next task
 * (parse + store + React render and commit).
 *
 * Run: `npx tsx bench/topology-render.ts` (builds its own page with Vite).
 */
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { chromium } from '@playwright/test';
import { build } from 'vite';

/** What the benchmark page exposes (this file compiles without the DOM library). */
interface PageGlobals {
  longTasks: number[];
  quorumBench: { prepare(step: number): void; apply(): void };
}

interface BrowserMessageChannel {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(message: unknown): void };
}

const ROOT = path.resolve(import.meta.dirname, '..');
const PAGE_DIR = path.join(ROOT, 'renderer/src/features/topology/bench');
const UPDATES = 20;
const CHROMIUM = process.env.QUORUM_CHROMIUM ?? '/usr/bin/chromium';

async function buildPage(outDir: string): Promise<void> {
  await build({
    root: PAGE_DIR,
    base: './',
    logLevel: 'warn',
    plugins: [react()],
    mode: 'production',
    build: { outDir, emptyOutDir: true, sourcemap: false },
  });
}

function serve(dir: string): Promise<{ url: string; close: () => void }> {
  const server = createServer(async (req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')).replace(/^(\.\.[/\\])+/, ''));
    const target = file.endsWith(path.sep) || file === dir ? path.join(dir, 'index.html') : file;
    try {
      const body = await readFile(target);
      const type = target.endsWith('.js') ? 'text/javascript' : target.endsWith('.css') ? 'text/css' : 'text/html';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ url: `http://127.0.0.1:${port}/index.html`, close: () => server.close() });
    });
  });
}

async function main(): Promise<void> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'quorum-topology-bench-'));
  await buildPage(outDir);
  const server = await serve(outDir);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(() => {
      const w = globalThis as unknown as PageGlobals;
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
      }).observe({ type: 'longtask' as never, buffered: true });
    });
    const t0 = Date.now();
    await page.goto(server.url);
    await page.getByRole('article', { name: 'Machine 0' }).waitFor();
    await page.getByRole('list', { name: 'Other machines' }).waitFor();
    const firstRenderMs = Date.now() - t0;
    const initialLongTasks = await page.evaluate(() => [...(globalThis as unknown as PageGlobals).longTasks]);

    const updateMs: number[] = [];
    for (let step = 1; step <= UPDATES; step++) {
      await page.evaluate((s) => (globalThis as unknown as PageGlobals).quorumBench.prepare(s), step);
      const ms = await page.evaluate(
        () =>
          new Promise<number>((resolve) => {
            const bench = (globalThis as unknown as PageGlobals).quorumBench;
            const start = performance.now();
            bench.apply();
            // The next task runs after React's synchronous render and commit.
            const channel = new MessageChannel() as unknown as BrowserMessageChannel;
            channel.port1.onmessage = () => resolve(performance.now() - start);
            channel.port2.postMessage(null);
          }),
      );
      updateMs.push(ms);
      if (step === 10) {
        // Scroll the machine list halfway: the window of rows moves, the rest stays.
        await page.getByRole('list', { name: 'Other machines' }).evaluate((el) => {
          const list = el as unknown as { scrollHeight: number; scrollTo(options: { top: number }): void };
          list.scrollTo({ top: list.scrollHeight / 2 });
        });
      }
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(200);
    const allLongTasks = await page.evaluate(() => [...(globalThis as unknown as PageGlobals).longTasks]);
    const updateLongTasks = allLongTasks.slice(initialLongTasks.length);
    const rows = await page.getByRole('list', { name: 'Other machines' }).getByRole('listitem').count();

    const max = (xs: number[]) => (xs.length === 0 ? 0 : Math.max(...xs));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const report = {
      machines: 1000,
      stateServers: 7,
      updates: UPDATES,
      firstRenderMs,
      initialLongTasksMs: initialLongTasks.map((d) => Math.round(d)),
      updateTaskMs: { max: Number(max(updateMs).toFixed(1)), median: Number(median(updateMs).toFixed(1)) },
      updateLongTasks: updateLongTasks.length,
      longestUpdateLongTaskMs: Math.round(max(updateLongTasks)),
      rowsInDom: rows,
    };
    console.log(JSON.stringify(report, null, 2));
    const worstUpdate = Math.max(report.updateTaskMs.max, report.longestUpdateLongTaskMs);
    console.log(`topology-render: longest renderer task during ${UPDATES} updates of 1,000 machines = ${worstUpdate.toFixed(1)} ms (budget 50 ms): ${worstUpdate < 50 ? 'within budget' : 'OVER BUDGET'}`);
    console.log(`topology-render: longest task of the first render = ${Math.round(max(initialLongTasks))} ms${initialLongTasks.length === 0 ? ' (no long task)' : ''}`);
  } finally {
    await browser.close();
    server.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

await main();
