/**
 * The SQL boundary: what a table engine may touch outside its own tables. Each engine may read and
 * write only its activity's work directory and the trusted directories (the local staging store
 * registers its root); DuckDB enforces it (`allowed_directories`, `enable_external_access = false`,
 * `lock_configuration = true`). Trusted code that must read a file elsewhere admits it first (a
 * hard link, or a copy, inside the work directory); DuckDB resolves symbolic links, so those
 * cannot be used to escape.
 *
 * File sources and sinks are confined to FERRY_FILE_ROOTS (a list separated like PATH; default the
 * worker's working directory).
 *
 *   trustDirectory('.ferry/staging', (run) => `.ferry/staging/${run.pipeline}/${run.workflowId}`);
 *   const local = await admitFile(engineDirs, '/data/in/sales.csv', workdir);
 *   const path = confineToRoots('data/sales.csv', { field: 'path' });
 */
import { copyFile, link, mkdir, realpath } from 'node:fs/promises';
import { realpathSync, existsSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, type ErrorContext } from '../errors.js';

/** One run of a pipeline: what an activity's engine is opened for. */
export type RunScope = { pipeline: string; workflowId: string };

/** Trusted directories, each with the folder in it that belongs to one run (undefined: none). */
const trusted = new Map<string, ((run: RunScope) => string | undefined) | undefined>();

/**
 * Lets every engine opened afterwards in this process use `dir` (e.g. the local staging store's
 * root). With `forRun`, an engine opened for a run may use only that run's folder in it, so
 * pipeline SQL cannot read what other pipelines and runs staged there.
 */
export function trustDirectory(dir: string, forRun?: (run: RunScope) => string | undefined): void {
  trusted.set(resolve(dir), forRun);
}

/** The real paths (DuckDB compares real paths) of the directories an engine over `workdir` (for `run`) may use. */
export async function engineDirectories(workdir: string, run?: RunScope): Promise<string[]> {
  const scoped = [...trusted].flatMap(([dir, forRun]) => {
    if (!run || !forRun) return [dir];
    const own = forRun(run);
    return own ? [own] : [];
  });
  const dirs = [workdir, ...scoped];
  const out: string[] = [];
  for (const d of dirs) {
    await mkdir(d, { recursive: true });
    out.push(await realpath(d));
  }
  return [...new Set(out)];
}

export const isInside = (path: string, dir: string): boolean => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** The real path of `path`, or of its nearest existing parent joined with the rest (for files not written yet). */
export function realPathOf(path: string): string {
  const abs = resolve(path);
  let dir = abs;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return join(realpathSync(dir), relative(dir, abs));
}

/**
 * A path to `file` that the engine may read: the file itself when it lies in an allowed directory,
 * else a hard link to it (or, across file systems, a copy) inside the work directory.
 */
export async function admitFile(allowed: string[], file: string, workdir: string): Promise<string> {
  const real = realPathOf(file);
  if (allowed.some((d) => isInside(real, d))) return real;
  const dir = join(workdir, 'admitted', randomBytes(4).toString('hex'));
  await mkdir(dir, { recursive: true });
  const target = join(dir, basename(file));
  await link(real, target).catch(() => copyFile(real, target));
  return target;
}

/** FERRY_FILE_ROOTS: the directories file sources and sinks may use (default: the working directory). */
export function fileRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (env.FERRY_FILE_ROOTS ?? '').split(delimiter).map((s) => s.trim()).filter(Boolean);
  return (listed.length ? listed : [process.cwd()]).map((r) => realPathOf(r));
}

/** `path` (relative to the working directory) if it lies inside a file root, else a ConfigError. */
export function confineToRoots(path: string, context: ErrorContext, env: NodeJS.ProcessEnv = process.env): string {
  const roots = fileRoots(env);
  const real = realPathOf(path);
  if (!roots.some((r) => isInside(real, r))) {
    throw new ConfigError(`${path} is outside the allowed file roots (FERRY_FILE_ROOTS: ${env.FERRY_FILE_ROOTS ? 'as set' : 'the working directory'})`, context);
  }
  return path;
}

/**
 * True when `sql` holds at most one statement: no `;` outside quotes and comments except trailing
 * ones. Checked when a pipeline is validated; the engine checks again with DuckDB's own parser.
 */
export function isSingleStatement(sql: string): boolean {
  let i = 0;
  let ended = false; // a `;` was seen: only whitespace, comments and more `;` may follow
  while (i < sql.length) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (ch === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (ch === ';') {
      ended = true;
      i++;
    } else {
      if (ended) return false;
      if (ch === "'" || ch === '"') {
        i = closingQuote(sql, i, ch);
      } else if (ch === '$') {
        const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
        if (tag) {
          const end = sql.indexOf(tag, i + tag.length);
          i = end < 0 ? sql.length : end + tag.length;
        } else i++;
      } else i++;
    }
  }
  return true;
}

function closingQuote(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2; // a doubled quote is an escaped one
      else return i + 1;
    } else i++;
  }
  return sql.length;
}
