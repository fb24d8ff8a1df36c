/** How runs look in a terminal: the live progress view, the final report, errors for humans. */
import type { RunReport, StageReport } from '../run.js';
import { FerryError } from '../errors.js';
import { maskSecrets } from '../pipeline/interpolate.js';
import type { ActivityLine } from './activities-view.js';
import { stageTable, qualityLines, recordLines } from './quality-text.js';

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number) => (s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint(1);
export const dim = paint(2);
export const red = paint(31);
export const green = paint(32);

const ICONS: Record<StageReport['status'], string> = { pending: '·', running: '▶', completed: '✔', failed: '✖', cancelled: '■', skipped: '–', reused: '↺' };

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h${Math.floor((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d${Math.floor((ms % 86_400_000) / 3_600_000)}h`;
}

const datasetList = (s: StageReport) => s.datasets.map((d) => `${d.dataset} ${d.rows}`).join(' · ');

/** One line per stage: icon (for live views), name, status, duration, rows per dataset. */
export function progressLines(report: RunReport, options: { icons?: boolean; now?: number } = {}): string[] {
  const now = options.now ?? Date.now();
  return report.stages.map((s) => {
    const ms = s.durationMs ?? (s.startedAt ? now - Date.parse(s.startedAt) : undefined);
    const icon = s.status === 'completed' ? green(ICONS[s.status]!) : s.status === 'failed' ? red(ICONS[s.status]!) : (ICONS[s.status] ?? '?');
    return `  ${options.icons === false ? '' : `${icon} `}${s.stage.padEnd(12)} ${s.status.padEnd(10)} ${formatMs(ms).padStart(7)}  ${dim(datasetList(s))}`;
  });
}

export function reportText(report: RunReport, url: string): string {
  const lines = [
    '',
    `${bold(report.pipeline)} ${report.status === 'completed' ? green('completed') : red(report.status)} in ${formatMs(report.durationMs)}  ${dim(`(${report.workflowId})`)}`,
    '',
    ...stageTable(report),
    ...qualityLines(report),
  ];
  if (report.sinks.length) {
    // A run that did not complete says what each sink did: delivered, failed (its error) or not started.
    const all = report.sinks.every((s) => s.status === 'delivered');
    lines.push('', all ? '  delivered' : '  sinks');
    for (const s of report.sinks) {
      if (s.status === 'delivered') lines.push(`    ${s.sink.padEnd(14)} ${String(s.rows).padStart(8)} rows → ${s.target}${s.detail ? dim(` (${s.detail})`) : ''}`);
      else lines.push(`    ${s.sink.padEnd(14)} ${(s.status === 'failed' ? red : dim)(s.status.padStart(13))} → ${s.target}${s.error && s.error !== 'cancelled' ? `: ${s.error}` : ''}`);
    }
  }
  const watermarks = Object.entries(report.watermarks ?? {});
  if (watermarks.length) {
    // Committed only once every sink had: what the next run starts after.
    lines.push('', '  watermarks');
    for (const [source, w] of watermarks) {
      lines.push(`    ${source.padEnd(14)} ${'unchanged' in w ? dim(`unchanged at ${w.unchanged}`) : `${w.from ?? dim('(none)')} → ${w.to}`}`);
    }
  }
  lines.push('', ...recordLines(report), `  Temporal UI: ${url}`, '');
  return lines.join('\n');
}

/** The innermost cause of a Temporal failure chain is the message that names what went wrong. */
export function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && (e.cause as { message?: string }).message) e = e.cause as typeof e;
  // A gRPC status code ("5 NOT_FOUND: workflow not found …") says nothing a user needs.
  return e?.message?.replace(/^\d+ [A-Z_]+: /, '') ?? String(err);
}

/** Prints an error without a stack trace (set FERRY_DEBUG=1 to get one). */
export function printError(err: unknown, write: (text: string) => void = (t) => void process.stderr.write(t)): void {
  const text = err instanceof FerryError ? err.describe() : rootMessage(err);
  write(`${red('error:')} ${maskSecrets(text)}\n`);
  if (process.env.FERRY_DEBUG && err instanceof Error) write(`${maskSecrets(err.stack ?? '')}\n`);
}

/**
 * Redraws the progress block in place on a terminal; elsewhere (a log, CI, a pipe) prints a line when
 * a stage changes status, when an activity is retried, and an activity's progress at most every few
 * seconds, so a log shows pages and batches without a line per heartbeat.
 */
export class ProgressView {
  private drawn = 0;
  private readonly seen = new Map<number, string>();
  private readonly printed = new Map<string, { text: string; attempt: number; progress: boolean; at: number }>();

  constructor(
    private readonly write: (text: string) => void = (t) => void process.stdout.write(t),
    private readonly tty: boolean = !!process.stdout.isTTY,
    private readonly throttleMs = 5000,
  ) {}

  update(report: RunReport | undefined, running: ActivityLine[] = [], now = Date.now()): void {
    const lines = report ? progressLines(report) : [];
    if (this.tty) {
      lines.push(...running.map((r) => `      ${dim(r.text)}`));
      this.clear();
      this.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
      this.drawn = lines.length;
      return;
    }
    lines.forEach((line, i) => {
      const status = report!.stages[i]!.status;
      if (status !== 'pending' && this.seen.get(i) !== status) {
        this.seen.set(i, status);
        this.write(`${line.trimEnd()}\n`);
      }
    });
    for (const r of running) {
      const last = this.printed.get(r.key);
      // New, retried, or its first progress: now; otherwise at most one line per throttle period.
      const changed = !last || (last.text !== r.text && (r.attempt !== last.attempt || (r.progress && !last.progress) || now - last.at >= this.throttleMs));
      if (changed) {
        this.printed.set(r.key, { text: r.text, attempt: r.attempt, progress: r.progress, at: now });
        this.write(`      ${r.text}\n`);
      }
    }
  }

  /** A message above the live block (the block is redrawn on the next update). */
  note(text: string): void {
    this.clear();
    this.write(`${text}\n`);
  }

  /** Clears the live block so the final report replaces it. */
  clear(): void {
    if (this.tty && this.drawn) this.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}
