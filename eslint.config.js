// Lint keeps the architecture honest: workflow code must stay deterministic, so it may import
// nothing but @temporalio/workflow and types (activities are imported as types only).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'stream', 'url', 'util', 'zlib', 'worker_threads', 'timers', 'events'];

export default tseslint.config(
  { ignores: ['node_modules/**', '.ferry/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // node:test's test() returns a promise that the runner itself awaits.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after'] }] }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
        patterns: [
          { group: ['pg', 'pg-*', '@aws-sdk/*', '@duckdb/*', 'undici', 'csv-parse', '@temporalio/activity', '@temporalio/worker', '@temporalio/client'], message: 'Workflow code must be deterministic: side effects belong in activities/.' },
          { group: ['../activities/*', '../src/*', '!../src/failures.js', '!../src/search-attributes.js', '!../src/run-date.js', '!../src/metrics.js', '!../src/rate-limit.js', '!../src/quality', '../src/quality/*', '!../src/quality/verdict.js'], message: 'Workflows import activities as types only (import type …).', allowTypeImports: true },
        ],
      }],
    },
  },
  {
    files: ['bin/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
