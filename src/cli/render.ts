/** How runs look in a terminal: the live progress view, the final report, errors for humans. */
import type { RunReport, StageReport } from '../run.js';
import { FerryError } from '../errors.js';
import { maskSecrets } from '../pipeline/interpolate.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint(1);
export const dim = paint(2);
export const red = paint(31);
export const green = paint(32);

const ICONS: Record<StageReport['status'], string> = { pending: '·', running: '▶', completed: '✔', failed: '✖', cancelled: '■', skipped: '–', reused: '↺' };

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms}ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

const datasetList = (s: StageReport) => s.datasets.map((d) => `${d.dataset} ${d.rows}`).join(' · ');

/** One line per stage: icon (for live views), name, status, duration, rows per dataset. */
export function progressLines(report: RunReport, options: { icons?: boolean; now?: number } = {}): string[] {
  const now = options.now ?? Date.now();
  return report.stages.map((s) => {
    const ms = s.durationMs ?? (s.startedAt ? now - Date.parse(s.startedAt) : undefined);
    const icon = s.status === 'completed' ? green(ICONS[s.status]) : s.status === 'failed' ? red(ICONS[s.status]) : ICONS[s.status];
    return `  ${options.icons === false ? '' : `${icon} `}${s.stage.padEnd(12)} ${s.status.padEnd(10)} ${formatMs(ms).padStart(7)}  ${dim(datasetList(s))}`;
  });
}

export function reportText(report: RunReport, url: string): string {
  const lines = [
    '',
    `${bold(report.pipeline)} ${report.status === 'completed' ? green('completed') : red(report.status)} in ${formatMs(report.durationMs)}  ${dim(`(${report.workflowId})`)}`,
    '',
    `  ${'stage'.padEnd(12)} ${'status'.padEnd(10)} ${'time'.padStart(7)}  rows per dataset`,
    ...progressLines(report, { icons: false }),
  ];
  if (report.sinks.length) {
    lines.push('', '  delivered');
    for (const s of report.sinks) lines.push(`    ${s.sink.padEnd(14)} ${String(s.rows).padStart(8)} rows → ${s.target}${s.detail ? dim(` (${s.detail})`) : ''}`);
  }
  lines.push('', `  Temporal UI: ${url}`, '');
  return lines.join('\n');
}

/** The innermost cause of a Temporal failure chain is the message that names what went wrong. */
export function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  return e?.message ?? String(err);
}

/** Prints an error without a stack trace (set FERRY_DEBUG=1 to get one). */
export function printError(err: unknown): void {
  const text = err instanceof FerryError ? err.describe() : rootMessage(err);
  process.stderr.write(`${red('error:')} ${maskSecrets(text)}\n`);
  if (process.env.FERRY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
}

/** Redraws the progress block in place on a TTY; elsewhere prints a line when something changes. */
export class ProgressView {
  private drawn = 0;
  private readonly seen = new Map<number, string>();

  update(report: RunReport, running: string[] = []): void {
    const lines = progressLines(report);
    if (process.stdout.isTTY) {
      lines.push(...running.map((r) => `      ${dim(r)}`));
      if (this.drawn) process.stdout.write(`\x1b[${this.drawn}A\x1b[0J`);
      process.stdout.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
      this.drawn = lines.length;
      return;
    }
    // Not a terminal (a log, CI): one line per stage each time its status changes.
    lines.forEach((line, i) => {
      const status = report.stages[i]!.status;
      if (status !== 'pending' && this.seen.get(i) !== status) {
        this.seen.set(i, status);
        process.stdout.write(`${line.trimEnd()}\n`);
      }
    });
  }

  /** Clears the live block so the final report replaces it. */
  clear(): void {
    if (process.stdout.isTTY && this.drawn) process.stdout.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}
