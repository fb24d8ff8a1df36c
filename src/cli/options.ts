/**
 * Option parsers shared by several commands. A bad value is a usage error (exit code 2) with
 * commander's one-line message: `error: option '--limit <n>' argument 'x' is invalid. expected …`.
 */
import { InvalidArgumentError, Option } from 'commander';

/** `--param k=v`, repeatable; a later value for the same key wins. */
export function collectParam(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const i = value.indexOf('=');
  if (i < 1) throw new InvalidArgumentError('expected key=value');
  return { ...previous, [value.slice(0, i)]: value.slice(i + 1) };
}

export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return Number(value);
}

const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;
export function duration(value: string): string {
  if (!DURATION.test(value.trim())) throw new InvalidArgumentError('expected a duration such as 30m, 12h or 7d');
  return value.trim();
}

export const paramOption = () =>
  new Option('-p, --param <key=value>', 'set a pipeline parameter (repeatable); overrides params: in the YAML').argParser(collectParam);

export const taskQueueOption = () =>
  new Option('-q, --task-queue <queue>', 'Temporal task queue (default: $FERRY_TASK_QUEUE or ferry)');

export const waitOption = () =>
  new Option('-w, --wait', 'watch the run: live progress per stage, retries, then the run report; exit 0 only on success');
