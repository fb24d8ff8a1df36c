/**
 * Loads a pipeline: YAML → `${param:…}` resolved → validated by zod → dataset graph and
 * connections checked. `${run.…}` references are checked by name and left in place (run-refs.ts). Every problem is collected (not just the first) with its file, line,
 * column and key path, so `ferry validate` can list them all.
 *
 *   const { spec, connections } = await loadPipeline('config/pipelines/retail.yaml', { params: { day: '2024-01-05' } });
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { parseDocument, LineCounter, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { pipelineSchema, type PipelineSpec } from './schema.js';
import { connectionsFileSchema, connectionSchema, type ConnectionSpec } from '../connect/connections.js';
import { resolveParamRefs, coerceParam, pathKey, type Path } from './params.js';
import { envRefsOutsideSecrets } from './secrets.js';
import { pipelineRunRefIssues } from './run-refs.js';
import { pipelineIncrementalIssues, lookbackIssues } from './incremental-refs.js';
import { checkGraph, type GraphSpec, type RejectedStep } from './graph.js';
import { sourceSchema } from '../../activities/sources/index.js';
import { sinkSchema } from '../../activities/sinks/index.js';
import { stepSchema } from '../table/steps/index.js';
import { ruleSchema } from '../quality/rules/index.js';
import { ON_FAIL } from '../quality/rule.js';
import type { QualityGraph } from './quality-refs.js';

export type SpecIssue = { file: string; line?: number; column?: number; path: string; message: string };

/** A config that failed validation; `issues` lists every problem found. */
export class SpecError extends ConfigError {
  constructor(readonly issues: SpecIssue[]) {
    super(`${issues.length} problem${issues.length === 1 ? '' : 's'} in the pipeline config:\n${issues.map(formatIssue).join('\n')}`);
  }
}

export function formatIssue(i: SpecIssue): string {
  const where = i.line ? `${i.file}:${i.line}:${i.column ?? 1}` : i.file;
  return `  ${where}  ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

export type LoadedPipeline = {
  file: string;
  spec: PipelineSpec;
  /** Only the connections the pipeline uses, with `${env:…}` references unresolved. */
  connections: Record<string, ConnectionSpec>;
  params: Record<string, string>;
  /** sha256 (hex) of the file's bytes as read and validated: the run's audit record names it. */
  sha256?: string;
};

type Parsed = { doc: Document; lines: LineCounter; file: string; sha256: string };

/** `{ …, key: ${…} … }`: a reference written bare inside a flow mapping. */
const UNQUOTED_REF_IN_FLOW = /\{[^}]*:\s*\$\{/;

async function parseYaml(file: string): Promise<Parsed> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    throw new SpecError([{ file: display(file), path: '', message: 'file not found or not readable' }]);
  }
  const text = bytes.toString('utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const source = text.split('\n');
    const seen = new Set<number>();
    throw new SpecError(doc.errors.flatMap((e) => {
      const pos = lines.linePos(e.pos[0]);
      // An unquoted ${…} in a { } flow mapping: its braces break the mapping, in one or several
      // errors on that line. Say so once, with the fix.
      if (UNQUOTED_REF_IN_FLOW.test(source[pos.line - 1] ?? '')) {
        if (seen.has(pos.line)) return [];
        seen.add(pos.line);
        return [{ file: display(file), line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]} (inside { }, quote a \${…} reference: key: '\${param:NAME}')` }];
      }
      return [{ file: display(file), line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` }];
    }));
  }
  return { doc, lines, file: display(file), sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Where a key path points in the YAML; a missing key points at its nearest existing parent. */
function locate(parsed: Parsed, path: PropertyKey[]): { line?: number; column?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = parsed.doc.getIn(path.slice(0, n).map((p) => (typeof p === 'symbol' ? String(p) : p)), true);
    if (isNode(node) && node.range) {
      const pos = parsed.lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

export const formatPath = (path: PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

/**
 * The value zod saw at `path`, for messages: the YAML's own, or for a field that was one
 * `${param:…}` reference the value it resolved to and where from (`got 0 from ${param:size}`).
 */
type Refs = { value: unknown; whole: Map<string, string> };
function gotAt(parsed: Parsed, path: PropertyKey[], refs?: Refs): { got: unknown; from: string } {
  const ref = refs?.whole.get(pathKey(path as Path));
  if (ref) return { got: getAt(refs!.value, path as Path), from: ` from ${ref}` };
  return { got: parsed.doc.getIn(path.map(String)), from: '' };
}

function zodIssues(parsed: Parsed, error: z.ZodError, refs?: Refs): SpecIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    let path = issue.path;
    const { got, from } = gotAt(parsed, path, refs);
    const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)}${from})`;
    if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      message = `expected one of: ${issue.options.join(', ')}${shown}`;
    } else if (issue.code === 'invalid_value') {
      message = `expected one of: ${issue.values.map(String).join(', ')}${shown}`;
    } else if (issue.code === 'unrecognized_keys') {
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      path = [...path, issue.keys[0]!];
    } else if (issue.code === 'invalid_type') {
      message = got === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}, got ${JSON.stringify(got)}${from}`;
    } else if (issue.code === 'invalid_format' || issue.code === 'too_small' || issue.code === 'too_big') {
      if (got !== null && typeof got !== 'object') message = `${message}${shown}`;
    } else if (issue.code === 'invalid_key') {
      message = issue.issues[0]?.message ?? message;
    } else if (issue.code === 'invalid_union' && path[path.length - 1] === 'on') {
      message = 'expected a list of columns or a mapping of left: right columns';
    } else if (issue.code === 'invalid_union') {
      // The members' expected types (initial: a string or a number), else zod's own message.
      const expected = [...new Set(issue.errors.flatMap((e) => (e[0]?.code === 'invalid_type' ? [e[0].expected] : [])))];
      message = expected.length ? `expected ${expected.join(' or ')}${shown}` : `${message}${shown}`;
    }
    return { file: parsed.file, ...locate(parsed, path), path: formatPath(path), message };
  });
}

export type LoadOptions = { params?: Record<string, string>; connectionsFile?: string };

const ENV_IN_PIPELINE = (ref: string) =>
  `${ref} is not allowed here: secrets belong in connections.yaml as \${env:…}, used through a named connection (in a pipeline file only the pii step's keys take one)`;

/**
 * zod over the resolved pipeline. A field that was exactly one `${param:…}` and where the schema
 * wants a number or boolean is converted and parsed again; one that does not convert says so.
 */
function parseSpec(parsed: Parsed, resolved: unknown, whole: Map<string, string>): { spec?: PipelineSpec; issues: SpecIssue[] } {
  const value = structuredClone(resolved);
  for (let round = 0; round < 10; round++) {
    const result = pipelineSchema.safeParse(value);
    if (result.success) return { spec: result.data, issues: [] };
    const notConverted = new Map<z.core.$ZodIssue, string>();
    let converted = 0;
    for (const issue of result.error.issues) {
      const ref = whole.get(pathKey(issue.path as Path));
      if (!ref || issue.code !== 'invalid_type') continue;
      const expected = issue.expected === 'number' ? 'number' : issue.expected === 'boolean' ? 'boolean' : undefined;
      if (!expected) continue;
      const text = getAt(value, issue.path as Path);
      const v = typeof text === 'string' ? coerceParam(text, expected) : undefined;
      if (v === undefined) notConverted.set(issue, `expected ${expected === 'number' ? 'a number' : 'true or false'}, got ${JSON.stringify(text)} from ${ref}`);
      else {
        setAt(value, issue.path as Path, v);
        converted++;
      }
    }
    if (!converted) {
      const issues = zodIssues(parsed, result.error, { value, whole });
      return { issues: issues.map((i, n) => ({ ...i, message: notConverted.get(result.error.issues[n]!) ?? i.message })) };
    }
  }
  return { issues: [{ file: parsed.file, path: '', message: 'parameters did not settle into valid values' }] };
}

const getAt = (v: unknown, path: Path): unknown => path.reduce<unknown>((o, k) => (o as Record<string | number, unknown> | undefined)?.[k], v);
function setAt(v: unknown, path: Path, value: unknown): void {
  const parent = getAt(v, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path.at(-1)!] = value;
}

/**
 * Parses what can be parsed entry by entry, so the dataset graph and connections are checked even
 * when some source, step or sink is invalid (`undefined` marks an entry zod rejected).
 */
function partialSpec(resolved: Record<string, unknown>): GraphSpec {
  const entries = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : []);
  const list = (v: unknown) => (Array.isArray(v) ? v : []);
  const ok = <T>(r: { success: boolean; data?: T }) => (r.success ? r.data : undefined);
  return {
    sources: Object.fromEntries(entries(resolved.sources).map(([k, v]) => [k, ok(sourceSchema.safeParse(v))])),
    standardize: list(resolved.standardize).map((v) => ok(stepSchema.safeParse(v)) ?? rejectedStep(v)),
    preprocess: list(resolved.preprocess).map((v) => ok(stepSchema.safeParse(v)) ?? rejectedStep(v)),
    sinks: Object.fromEntries(entries(resolved.sinks).map(([k, v]) => [k, ok(sinkSchema.safeParse(v))])),
    quality: partialQuality(resolved.quality),
  };
}

/** The quality section rule by rule (`undefined` marks a rule zod rejected). */
function partialQuality(raw: unknown): QualityGraph | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const q = raw as Record<string, unknown>;
  const onFail = ON_FAIL.find((o) => o === q.on_fail);
  return { on_fail: onFail, rules: (Array.isArray(q.rules) ? q.rules : []).map((r) => { const p = ruleSchema.safeParse(r); return p.success ? p.data : undefined; }) };
}

/** What a step zod rejected still says it writes (undefined when its fields do not tell). */
function rejectedStep(raw: unknown): RejectedStep | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const main = [r.output, r.input, r.left].find((v): v is string => typeof v === 'string');
  if (main === undefined) return undefined;
  return { rejected: true, writes: [main, ...(typeof r.rejects === 'string' ? [r.rejects] : [])] };
}

/**
 * Loads and checks a pipeline in one pass: `${env:…}` where it does not belong (anywhere but a
 * field typed `secret()`), missing
 * `${param:…}` values, the schema, the connections file, and the dataset graph. Every problem is
 * reported together, in file and line order.
 */
export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  const parsed = await parseYaml(file);
  const raw = parsed.doc.toJS() as unknown;
  if (!raw || typeof raw !== 'object') throw new SpecError([{ file: parsed.file, path: '', message: 'expected a mapping with name, sources, sinks' }]);
  const at = (path: Path, message: string): SpecIssue => ({ file: parsed.file, ...locate(parsed, path), path: formatPath(path), message });
  const issues: SpecIssue[] = [];

  issues.push(...envRefsOutsideSecrets(pipelineSchema, raw).map(({ path, ref }) => at(path, ENV_IN_PIPELINE(ref))));

  const declared = (raw as { params?: Record<string, unknown> }).params ?? {};
  const params = { ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, String(v)])), ...options.params };
  const { value: resolved, missing, whole } = resolveParamRefs(raw, params);
  issues.push(...missing.map(({ path, name }) => at(path, `parameter ${name} has no value: pass --param ${name}=… or declare a default under params:`)));

  // ${run.…} stays as written (the activity resolves it when the run happens); only its names are checked.
  issues.push(...pipelineRunRefIssues(resolved).map(({ path, message }) => at(path, message)));
  // ${incremental.…}: only in an incremental source, by a known name, with a value on the first run.
  issues.push(...pipelineIncrementalIssues(resolved).map(({ path, message }) => at(path, message)));

  const { spec, issues: schemaIssues } = parseSpec(parsed, resolved, whole);
  // A field whose parameter has no value is reported once, as that, not also as a type error.
  const unresolved = new Set(missing.map(({ path }) => formatPath(path)));
  issues.push(...schemaIssues.filter((i) => !unresolved.has(i.path)));
  if (spec) issues.push(...lookbackIssues(spec).map(({ path, message }) => at(path, message)));

  const connFile = options.connectionsFile ?? findConnectionsFile(file);
  const conns = connFile ? await readConnections(connFile) : { connections: {}, issues: [], broken: false };
  issues.push(...conns.issues);

  if (!Array.isArray(resolved)) {
    const graphSpec: GraphSpec = spec ?? partialSpec(resolved as Record<string, unknown>);
    issues.push(...checkGraph(graphSpec, conns.connections, { connectionsKnown: !conns.broken }).map(({ path, message }) =>
      at(path, message + (connFile || !/connection/.test(message) ? '' : ' (no config/connections.yaml found)'))));
  }
  if (issues.length || !spec) throw new SpecError(sortIssues(issues, parsed.file));

  const used = new Set([...Object.values(spec.sources), ...Object.values(spec.sinks)].flatMap((a) => ('connection' in a ? [a.connection] : [])));
  const connections = Object.fromEntries(Object.entries(conns.connections).filter((e): e is [string, ConnectionSpec] => used.has(e[0]) && !!e[1]));
  return { file: parsed.file, spec, connections, params, sha256: parsed.sha256 };
}

/** Pipeline file first, then by line and column; equal positions keep the order they were found in. */
function sortIssues(issues: SpecIssue[], pipelineFile: string): SpecIssue[] {
  const rank = (i: SpecIssue) => [i.file === pipelineFile ? 0 : 1, i.line ?? 0, i.column ?? 0];
  return issues.map((i, n) => ({ i, n })).sort((a, b) => {
    const [x, y] = [rank(a.i), rank(b.i)];
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]! || a.n - b.n;
  }).map(({ i }) => i);
}

export async function loadConnections(file: string): Promise<Record<string, ConnectionSpec>> {
  const parsed = await parseYaml(file);
  const result = connectionsFileSchema.safeParse(parsed.doc.toJS() ?? {});
  if (!result.success) throw new SpecError(zodIssues(parsed, result.error));
  return result.data;
}

/**
 * The connections file for a pipeline check: its problems as issues, and the connections that are
 * valid (`undefined` for one that is defined but invalid, so it is not also reported as unknown).
 * `broken`: the file did not parse as YAML, so no connection can be checked.
 */
async function readConnections(file: string): Promise<{ connections: Record<string, ConnectionSpec | undefined>; issues: SpecIssue[]; broken: boolean }> {
  let parsed: Parsed;
  try {
    parsed = await parseYaml(file);
  } catch (err) {
    if (err instanceof SpecError) return { connections: {}, issues: err.issues, broken: true };
    throw err;
  }
  const raw = parsed.doc.toJS() ?? {};
  const result = connectionsFileSchema.safeParse(raw);
  if (result.success) return { connections: result.data, issues: [], broken: false };
  const connections = typeof raw === 'object' && !Array.isArray(raw)
    ? Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => {
      const one = connectionSchema.safeParse(v);
      return [k, one.success ? one.data : undefined];
    }))
    : {};
  return { connections, issues: zodIssues(parsed, result.error), broken: false };
}

/** FERRY_CONNECTIONS, else connections.yaml beside the pipelines folder, else ./config/connections.yaml. */
export function findConnectionsFile(pipelineFile: string): string | undefined {
  const candidates = [process.env.FERRY_CONNECTIONS, join(dirname(pipelineFile), '..', 'connections.yaml'), join(dirname(pipelineFile), 'connections.yaml'), 'config/connections.yaml'];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** Paths in messages and history are relative to the working directory when possible. */
function display(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}
