import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/**
 * Lint rules that keep Quorum's architecture honest:
 * - raw `ipcMain` / `ipcRenderer` / `contextBridge` only in the two IPC
 *   wrapper files, so every request goes through sender checks and the
 *   validating dispatcher;
 * - services never import Electron (they run the same in browser mode,
 *   the CLI and tests); `shared/` imports neither Node, Electron nor React;
 * - named exports only (config files excepted).
 */
const IPC_WRAPPERS = ['electron/main/ipc.ts', 'electron/preload/index.ts'];
const CONFIG_FILES = ['*.config.{js,ts,mjs}', 'eslint.config.js'];

const rawIpcBan = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer', 'contextBridge'],
  message: 'Use the IPC wrappers (electron/main/ipc.ts, electron/preload/index.ts): they validate senders and payloads.',
};

const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  URL: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
};

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'playwright-report/**', 'bench/results/**', '.quorum-dev/**', '.*'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-restricted-imports': ['error', { paths: [rawIpcBan] }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        { selector: 'TSEnumDeclaration', message: 'Use a union of string literals (or an `as const` array).' },
      ],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    files: IPC_WRAPPERS,
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['electron/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Services never import Electron: they also run in browser mode, the CLI and tests.' }] },
      ],
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'shared/ is pure TypeScript used by both sides.' },
            { name: 'react', message: 'shared/ is pure TypeScript used by both sides.' },
          ],
          patterns: [{ group: ['node:*'], message: 'shared/ is pure TypeScript used by both sides: no Node modules.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs['recommended-latest'].rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches main only through the bridge (renderer/src/bridge).' }],
          patterns: [{ group: ['node:*', '**/electron/**'], message: 'The renderer never imports Node or main-process code.' }],
        },
      ],
    },
  },
  {
    files: CONFIG_FILES,
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: nodeGlobals },
  },
);
