/**
 * `ferry run --dry-run`: the plan of a validated pipeline in words — sources and where they read,
 * the steps of each stage with what they read and write, sinks with their targets, and settings.
 * Nothing here connects anywhere.
 */
import type { LoadedPipeline } from '../pipeline/load.js';
import type { PipelineSpec } from '../pipeline/schema.js';
import { stepOf, outputsOf } from '../table/steps/index.js';
import { STEP_STAGES } from '../pipeline/schema.js';

type Source = PipelineSpec['sources'][string];
type Sink = PipelineSpec['sinks'][string];

function sourceText(s: Source): string {
  switch (s.type) {
    case 'http': return `http ${s.connection}: GET ${s.path}${s.paginate.type === 'none' ? '' : ` (paginate: ${s.paginate.type})`}`;
    case 'postgres': return `postgres ${s.connection}: ${s.query.replace(/\s+/g, ' ').trim()}`;
    case 's3': return `s3 ${s.connection}: s3://${s.bucket}/${s.key}${s.format ? ` (${s.format})` : ''}`;
    case 'file': return `file ${s.path}${s.format ? ` (${s.format})` : ''}`;
    case 'catalog': return `catalog ${s.pipeline ? `${s.pipeline}/` : ''}${s.dataset} version ${s.version}`;
  }
}

function sinkText(s: Sink): string {
  switch (s.type) {
    case 'http': return `http ${s.connection}: ${s.method} ${s.path} in batches of ${s.batch_size}`;
    case 'postgres': return `postgres ${s.connection}: ${s.table} (${s.mode}${s.keys.length ? ` on ${s.keys.join(', ')}` : ''})`;
    case 's3': return `s3 ${s.connection}: s3://${s.bucket}/${s.key}${s.format ? ` (${s.format})` : ''}`;
    case 'file': return `file ${s.path}${s.format ? ` (${s.format})` : ''}`;
  }
}

const pad = (names: string[]) => Math.max(0, ...names.map((n) => n.length));

export function planText(loaded: LoadedPipeline, options: { taskQueue: string; params: Record<string, string> }): string {
  const { spec } = loaded;
  const lines = [`plan of ${spec.name} (${loaded.file}), task queue ${options.taskQueue} — dry run, nothing started`];
  const params = Object.entries(loaded.params);
  if (params.length) lines.push('', '  params', ...params.map(([k, v]) => `    ${k} = ${v}`));

  const sources = Object.entries(spec.sources);
  const w = pad(sources.map(([n]) => n));
  lines.push('', '  ingest', ...sources.map(([name, s]) => `    ${name.padEnd(w)}  ← ${sourceText(s)}${'on_error' in s && s.on_error === 'quarantine' ? ` (bad rows → ${name}_rejects)` : ''}`));

  for (const stage of STEP_STAGES) {
    lines.push('', `  ${stage}`);
    if (!spec[stage].length) lines.push('    (no steps)');
    spec[stage].forEach((step, i) => {
      const reads = stepOf(step).reads(step);
      lines.push(`    ${String(i + 1).padStart(2)}. ${step.type.padEnd(10)} ${reads.join(', ')} → ${outputsOf(step).join(', ')}`);
    });
  }

  const sinks = Object.entries(spec.sinks);
  const ws = pad(sinks.map(([n]) => n));
  lines.push('', '  deliver');
  if (!sinks.length) lines.push('    (no sinks)');
  lines.push(...sinks.map(([name, s]) => `    ${name.padEnd(ws)}  ${s.input} → ${sinkText(s)}`));

  const { settings } = spec;
  const r = settings.retry;
  lines.push('', '  settings',
    `    heartbeat_timeout ${settings.heartbeat_timeout} · activity_timeout ${settings.activity_timeout}`,
    `    retry: up to ${r.maximum_attempts === 0 ? 'unlimited' : r.maximum_attempts} attempts, waiting ${r.initial_interval} ×${r.backoff} per attempt, at most ${r.maximum_interval}`);
  const conns = Object.entries(loaded.connections);
  if (conns.length) lines.push('', '  connections', ...conns.map(([n, c]) => `    ${n} (${c.type})`));
  return `${lines.join('\n')}\n`;
}
