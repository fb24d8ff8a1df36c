/**
 * Loads a pipeline: YAML → `${param:…}` resolved → validated by zod → dataset graph and
 * connections checked. Every problem is collected (not just the first) with its file, line,
 * column and key path, so `ferry validate` can list them all.
 *
 *   const { spec, connections } = await loadPipeline('config/pipelines/retail.yaml', { params: { day: '2024-01-05' } });
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, isAbsolute } from 'node:path';
import { parseDocument, LineCounter, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { pipelineSchema, type PipelineSpec } from './schema.js';
import { connectionsFileSchema, type ConnectionSpec } from '../connect/connections.js';
import { resolveParams } from './interpolate.js';
import { checkGraph } from './graph.js';

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
};

type Parsed = { doc: Document; lines: LineCounter; file: string };

async function parseYaml(file: string): Promise<Parsed> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new SpecError([{ file: display(file), path: '', message: 'file not found or not readable' }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new SpecError(doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file: display(file), line: pos.line, column: pos.col, path: '', message: `YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  return { doc, lines, file: display(file) };
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

function zodIssues(parsed: Parsed, error: z.ZodError): SpecIssue[] {
  return error.issues.map((issue) => {
    let message = issue.message;
    let path = issue.path;
    if (issue.code === 'invalid_union' && 'options' in issue && Array.isArray(issue.options)) {
      const got = parsed.doc.getIn(path.map(String));
      message = `expected one of: ${issue.options.join(', ')}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    } else if (issue.code === 'invalid_value') {
      const got = parsed.doc.getIn(path.map(String));
      message = `expected one of: ${issue.values.map(String).join(', ')}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`;
    } else if (issue.code === 'unrecognized_keys') {
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
      path = [...path, issue.keys[0]!];
    } else if (issue.code === 'invalid_type') {
      const got = parsed.doc.getIn(path.map(String));
      message = got === undefined ? `required: expected ${issue.expected}` : `expected ${issue.expected}, got ${JSON.stringify(got)}`;
    } else if (issue.code === 'invalid_format' || issue.code === 'too_small' || issue.code === 'too_big') {
      const got = parsed.doc.getIn(path.map(String));
      if (got !== null && typeof got !== 'object') message = `${message} (got ${JSON.stringify(got)})`;
    } else if (issue.code === 'invalid_key') {
      message = issue.issues[0]?.message ?? message;
    } else if (issue.code === 'invalid_union') {
      message = 'expected a list of columns or a mapping of left: right columns';
    }
    return { file: parsed.file, ...locate(parsed, path), path: formatPath(path), message };
  });
}

export type LoadOptions = { params?: Record<string, string>; connectionsFile?: string };

export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  const parsed = await parseYaml(file);
  const raw = parsed.doc.toJS() as unknown;
  if (!raw || typeof raw !== 'object') throw new SpecError([{ file: parsed.file, path: '', message: 'expected a mapping with name, sources, sinks' }]);

  const declared = (raw as { params?: Record<string, unknown> }).params ?? {};
  const params = { ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, String(v)])), ...options.params };
  let resolved: unknown;
  try {
    resolved = resolveParams(raw, params);
  } catch (err) {
    const e = err as ConfigError;
    const path = (e.context.field ?? '').split('.').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    throw new SpecError([{ file: parsed.file, ...locate(parsed, path), path: formatPath(path), message: e.message }]);
  }

  const result = pipelineSchema.safeParse(resolved);
  if (!result.success) throw new SpecError(zodIssues(parsed, result.error));
  const spec = result.data;

  const connFile = options.connectionsFile ?? findConnectionsFile(file);
  const allConnections = connFile ? await loadConnections(connFile) : {};
  const issues = checkGraph(spec, allConnections).map(({ path, message }) => ({
    file: parsed.file, ...locate(parsed, path), path: formatPath(path), message: message + (connFile || !/connection/.test(message) ? '' : ' (no config/connections.yaml found)'),
  }));
  if (issues.length) throw new SpecError(issues);

  const used = new Set([...Object.values(spec.sources), ...Object.values(spec.sinks)].flatMap((a) => ('connection' in a ? [a.connection] : [])));
  const connections = Object.fromEntries(Object.entries(allConnections).filter(([k]) => used.has(k)));
  return { file: parsed.file, spec, connections, params };
}

export async function loadConnections(file: string): Promise<Record<string, ConnectionSpec>> {
  const parsed = await parseYaml(file);
  const result = connectionsFileSchema.safeParse(parsed.doc.toJS() ?? {});
  if (!result.success) throw new SpecError(zodIssues(parsed, result.error));
  return result.data;
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
