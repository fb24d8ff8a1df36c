/**
 * Shared by the http source's unit tests: a local node:http API that records every request, a
 * checkpoint folder that outlives attempts (as the staging store does) and can "kill" the worker
 * right after a given name is saved, and one attempt of the source with its own workdir and engine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, copyFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpSource } from '../../../../activities/sources/http.js';
import type { Checkpoint, Progress, SourceContext } from '../../../../activities/adapter.js';
import { TableEngine } from '../../../../src/table/engine.js';
import { connectionSchema, resolveConnection } from '../../../../src/connect/connections.js';

export type Api = { url: string; requests: string[]; close(): Promise<void> };

/** `handler` answers; every request's path and query (and POST bodies of /token) are recorded. */
export async function startApi(handler: (req: IncomingMessage, res: ServerResponse, url: URL, body: string) => void): Promise<Api> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method === 'GET' ? '' : `${req.method} `}${u.pathname}${u.search}`);
      handler(req, res, u, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise((r) => server.close(() => r())) };
}

export const json = (res: ServerResponse, body: string, headers: Record<string, string> = {}, status = 200) =>
  void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);

export class Killed extends Error {}

/** `restored`: the names restored, in order (to count what a resume reads). */
export function folderCheckpoint(folder: string, options: { killAfter?: string; restored?: string[] } = {}): Checkpoint {
  return {
    async save(name, file) {
      await copyFile(file, join(folder, name));
      if (name === options.killAfter) throw new Killed(`killed after saving ${name}`);
    },
    restore: async (name) => {
      options.restored?.push(name);
      return join(folder, name);
    },
    list: async () => (await readdir(folder)).sort(),
  };
}

export const tempDir = () => mkdtemp(join(tmpdir(), 'ferry-http-unit-'));

export type AttemptOptions = {
  checkpoint: Checkpoint;
  dataset?: string;
  /** Connection fields besides type and base_url (e.g. auth), with `${env:…}` resolved from `env`. */
  connection?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  requestBudget?: number;
  /** Parent datasets created in the attempt's engine first: name → SELECT. */
  parents?: Record<string, string>;
  /** Datasets to read back after the read (default: the dataset). */
  read?: string[];
};

/** One attempt of the http source: its own workdir and engine, no heartbeat details. */
export async function attempt(api: Api, source: Record<string, unknown>, options: AttemptOptions) {
  const dataset = options.dataset ?? 'items';
  const workdir = await tempDir();
  const table = await TableEngine.open(workdir);
  const progress: Progress[] = [];
  const conn = resolveConnection({ api: connectionSchema.parse({ type: 'http', base_url: api.url, ...options.connection }) }, 'api', 'http', options.env ?? {});
  for (const [name, sql] of Object.entries(options.parents ?? {})) await table.run(`CREATE TABLE ${name} AS ${sql}`);
  const ctx = {
    workdir, table, dataset, runKey: 'r', resume: undefined, connections: {}, signal: new AbortController().signal,
    parents: Object.keys(options.parents ?? {}),
    ...(options.requestBudget ? { requestBudget: options.requestBudget } : {}),
    connection: () => conn,
    progress: (p: Progress) => progress.push(structuredClone(p)),
    checkpoint: options.checkpoint,
  } as unknown as SourceContext;
  const spec = httpSource.schema.parse({ type: 'http', connection: 'api', ...source });
  try {
    const result = await httpSource.read(spec, ctx).catch((err: unknown) => err);
    const tables: Record<string, Record<string, unknown>[]> = {};
    const types: Record<string, Record<string, string>> = {};
    if (!(result instanceof Error) && !(result as { pending?: boolean }).pending) {
      for (const name of options.read ?? [dataset]) {
        tables[name] = await table.rows(`SELECT COLUMNS(*)::VARCHAR FROM ${name} ORDER BY ALL`);
        types[name] = Object.fromEntries((await table.columns(name)).map((c) => [c.name, c.type]));
      }
    }
    return { result, tables, types, progress };
  } finally {
    table.close();
  }
}
