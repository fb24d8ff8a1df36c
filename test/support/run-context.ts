/** A logical run for tests that build activity inputs or reports by hand. */
import type { RunContext } from '../../src/run.js';

export const RUN: RunContext = { key: 'wf', time: '2024-01-05T00:00:00.000Z', date: '2024-01-05', timezone: 'UTC', trigger: 'cli' };
