/** Kept for code that imports `planOf` from here (test/support/harness.ts); the CLI uses ./start.js. */
export { planOf } from './start.js';
