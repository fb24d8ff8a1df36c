/**
 * What `ferry state show|set|reset` do (src/cli/commands/state.ts parses the line). The pipeline is
 * a name or a YAML file; its incremental sources (from the file, or config/pipelines/<name>.yaml
 * when it exists) tell an unknown source from one that has not run yet.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Cli } from './context.js';
import { ConfigError } from '../errors.js';
import { stagingFromEnv, type StagingStore } from '../staging/store.js';
import { listStatePipelines, listStates, readState, resetWatermark, setWatermark, type WatermarkState } from '../state/store.js';
import { normalizeValue, WATERMARK_TYPES, type WatermarkType } from '../state/values.js';
import { dim } from './render.js';

type Opts = { json?: boolean; type?: string };

/** The pipeline's name and, when its file is found, its incremental sources (name → cursor). */
async function pipelineOf(arg: string): Promise<{ name: string; sources?: Record<string, string> }> {
  const file = /\.ya?ml$/.test(arg) ? arg : join('config', 'pipelines', `${arg}.yaml`);
  if (!existsSync(file)) {
    if (file === arg) throw new ConfigError(`pipeline file ${arg} not found`);
    return { name: arg };
  }
  const raw = parse(await readFile(file, 'utf8')) as { name?: unknown; sources?: Record<string, { incremental?: { cursor?: string } }> } | null;
  if (!raw || typeof raw.name !== 'string') throw new ConfigError(`${file} has no pipeline name`);
  const sources = Object.fromEntries(Object.entries(raw.sources ?? {}).flatMap(([s, spec]) => (spec?.incremental ? [[s, String(spec.incremental.cursor ?? '')]] : [])));
  return { name: raw.name, sources };
}

async function resolve(store: StagingStore, arg: string, source: string | undefined): Promise<{ name: string; sources?: Record<string, string>; states: WatermarkState[] }> {
  const p = await pipelineOf(arg);
  const states = await listStates(store, p.name);
  if (!p.sources && !states.length) {
    const known = await listStatePipelines(store);
    throw new ConfigError(`no watermarks stored for pipeline ${p.name} in ${store.root} (and no config/pipelines/${p.name}.yaml); pipelines with watermarks: ${known.join(', ') || 'none'}`);
  }
  if (p.sources && !Object.keys(p.sources).length) throw new ConfigError(`pipeline ${p.name} has no incremental source (no source has incremental:)`);
  if (source !== undefined) {
    const known = p.sources ? Object.keys(p.sources) : states.map((s) => s.source);
    if (!known.includes(source)) throw new ConfigError(`pipeline ${p.name} has no incremental source ${source}; ${p.sources ? 'incremental sources' : 'sources with a watermark'}: ${known.join(', ')}`);
  }
  return { ...p, states };
}

const row = (s: WatermarkState | undefined, source: string): string =>
  s?.value !== undefined
    ? `  ${source.padEnd(20)} ${s.value}  ${dim(`${s.type}, ${s.by === 'run' ? `run ${s.runKey}` : s.by} at ${s.updatedAt}`)}\n`
    : `  ${source.padEnd(20)} ${dim(s ? `none (reset at ${s.updatedAt}): the next run starts from initial` : 'none yet: the next run starts from initial')}\n`;

export async function show(cli: Cli, arg: string, source: string | undefined, opts: Opts): Promise<void> {
  const store = stagingFromEnv();
  const p = await resolve(store, arg, source);
  const names = source ? [source] : [...new Set([...Object.keys(p.sources ?? {}), ...p.states.map((s) => s.source)])].sort();
  const byName = new Map(p.states.map((s) => [s.source, s]));
  if (opts.json) {
    cli.out(`${JSON.stringify({ pipeline: p.name, store: store.root, sources: names.map((n) => byName.get(n) ?? { pipeline: p.name, source: n }) }, null, 2)}\n`);
    return;
  }
  cli.out(`watermarks of ${p.name} ${dim(`(${store.root})`)}\n`);
  for (const n of names) {
    cli.out(row(byName.get(n), n));
    if (source) {
      for (const c of byName.get(n)?.history ?? []) {
        cli.out(`    ${c.at}  ${c.by.padEnd(5)} ${c.from ?? '∅'} → ${c.value ?? '∅ (reset)'}${c.runKey ? dim(`  ${c.runKey}`) : ''}\n`);
      }
    }
  }
}

export async function set(cli: Cli, arg: string, source: string, value: string, opts: Opts): Promise<void> {
  const store = stagingFromEnv();
  const p = await resolve(store, arg, source);
  const stored = (await readState(store, p.name, source))?.state;
  const type = (opts.type ?? stored?.type) as WatermarkType | undefined;
  if (!type || !(WATERMARK_TYPES as readonly string[]).includes(type)) {
    throw new ConfigError(`${p.name}.${source} has no stored watermark to take the type from: pass --type ${WATERMARK_TYPES.join('|')}`);
  }
  const normalized = normalizeValue(value, type, { dataset: source });
  const next = await setWatermark(store, p.name, source, normalized, type, new Date().toISOString());
  if (opts.json) cli.out(`${JSON.stringify(next, null, 2)}\n`);
  else cli.out(`${p.name}.${source}: ${stored?.value ?? 'none'} → ${normalized} (${type}); the next run reads from there${dim(' (minus lookback)')}\n`);
}

export async function reset(cli: Cli, arg: string, source: string | undefined, opts: Opts): Promise<void> {
  const store = stagingFromEnv();
  const p = await resolve(store, arg, source);
  const names = source ? [source] : p.states.map((s) => s.source);
  const now = new Date().toISOString();
  const out: WatermarkState[] = [];
  for (const n of names) {
    const s = await resetWatermark(store, p.name, n, now);
    if (s) out.push(s);
  }
  if (opts.json) cli.out(`${JSON.stringify({ pipeline: p.name, reset: out }, null, 2)}\n`);
  else if (!names.length) cli.out(`${p.name}: no watermark stored; nothing to reset\n`);
  else for (const n of names) cli.out(`${p.name}.${n}: reset; the next run starts from initial\n`);
}
