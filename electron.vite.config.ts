import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;
const at = (p: string) => resolve(root, p);

/**
 * One build for the three parts of Quorum:
 * - main: Electron's main process, the browser-mode host, the `quorum`
 *   command line and the sandbox child process, ESM in `out/main` (dependencies stay in node_modules);
 * - preload: one self-contained CommonJS file, as a sandboxed preload must
 *   be (zod and the contract bundled in, nothing required at run time);
 * - renderer: the React app from `renderer/` into `out/renderer`.
 */
const mainInputs: Record<string, string> = {
  index: at('electron/main/index.ts'),
  'browser-host': at('electron/host/cli.ts'),
  // The `quorum` command line (bin/quorum.mjs runs it with Node; the packaged app's executable runs it too).
  cli: at('electron/cli/main.ts'),
};
// Written by the sandbox work; the build must not depend on it existing yet.
if (existsSync(at('electron/sandbox/process.ts'))) mainInputs['sandbox-process'] = at('electron/sandbox/process.ts');

export default defineConfig({
  main: {
    build: {
      outDir: at('out/main'),
      target: 'node20',
      sourcemap: true,
      rollupOptions: { input: mainInputs },
    },
  },
  preload: {
    build: {
      outDir: at('out/preload'),
      externalizeDeps: false,
      isolatedEntries: true,
      rollupOptions: {
        input: { index: at('electron/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: at('renderer'),
    plugins: [react()],
    build: {
      outDir: at('out/renderer'),
      emptyOutDir: true,
      sourcemap: true,
      rollupOptions: { input: { index: at('renderer/index.html') } },
    },
  },
});
