/**
 * Runs the s3 sink adapter directly (no Temporal) against MinIO, in a bucket of its own, each call
 * with its own table engine and work directory, as attempts on different workers would.
 *
 *   const kit = await s3SinkKit();
 *   const t = await kit.table(`SELECT 1 AS id, 'a' AS label`);       // dataset 'items'
 *   await kit.write(t, { key: 'out/items.csv' }, { run: { …RUN, time: '2024-05-01T00:00:00Z' } });
 *   await kit.text('out/items.csv');
 *   await kit.close();                                                // empties and deletes the bucket
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, DeleteObjectCommand, DeleteBucketCommand, ListMultipartUploadsCommand, AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
import { s3Sink } from '../../activities/sinks/s3.js';
import type { SinkContext, SinkResult } from '../../activities/adapter.js';
import { TableEngine, type Row } from '../../src/table/engine.js';
import { resolveConnection } from '../../src/connect/connections.js';
import { loadConnections } from '../../src/pipeline/load.js';
import { s3Client, ensureBucket } from '../../src/connect/s3.js';
import type { RunContext } from '../../src/run.js';
import { resolveRunRefs } from '../../src/pipeline/run-refs.js';
import { testEnv, randomId } from './harness.js';
import { RUN } from './run-context.js';

export async function s3SinkKit() {
  testEnv();
  const conn = resolveConnection(await loadConnections('config/connections.yaml'), 'lake', 's3');
  const s3 = s3Client(conn);
  const bucket = `it7-s3sink-${randomId()}`;
  await ensureBucket(s3, bucket);
  const root = await mkdtemp(join(tmpdir(), 'ferry-s3sink-'));
  const engines: TableEngine[] = [];
  const engine = async () => {
    const t = await TableEngine.open(await mkdtemp(join(root, 'a-')), { allowDirectories: [root] });
    engines.push(t);
    return t;
  };
  const kit = {
    s3,
    bucket,
    /** A fresh engine holding dataset `items` made by `select`. */
    async table(select: string, dataset = 'items'): Promise<TableEngine> {
      const t = await engine();
      await t.run(`CREATE TABLE ${dataset} AS ${select}`);
      return t;
    },
    async write(table: TableEngine, spec: Record<string, unknown>, over: { run?: Partial<RunContext>; signal?: AbortSignal; dataset?: string; runKey?: string } = {}): Promise<SinkResult> {
      const dataset = over.dataset ?? 'items';
      const run = { ...RUN, ...over.run };
      const ctx = {
        workdir: table.workdir, table, resume: undefined, connections: {}, checkpoint: {},
        signal: over.signal ?? new AbortController().signal, progress: () => undefined,
        connection: () => conn, runKey: over.runKey ?? run.key, generation: '', sink: 'lake', dataset,
        rows: await table.count(dataset), runStartedAt: run.time, run,
      } as unknown as SinkContext;
      // As the deliver activity does: the run's values first ({run_date}, ${run.…}), then the schema.
      const resolved = resolveRunRefs({ type: 's3', connection: 'lake', input: dataset, bucket, ...spec }, run, { what: 'sink', places: true });
      return s3Sink.write(s3Sink.schema.parse(resolved), ctx);
    },
    async bytes(key: string): Promise<Buffer> {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    async text(key: string): Promise<string> {
      return (await kit.bytes(key)).toString('utf8');
    },
    async keys(prefix = ''): Promise<string[]> {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        out.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    /** Multipart uploads in progress for these keys (MinIO lists them per object). */
    async uploads(keys: string[]): Promise<string[]> {
      const out: string[] = [];
      for (const key of keys) {
        const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
        out.push(...(page.Uploads ?? []).map((u) => u.Key!));
      }
      return out;
    },
    /** Rows of an object read back with DuckDB (`reader`: e.g. read_csv(?, all_varchar = true)). */
    async query(key: string, sql: (file: string) => string): Promise<Row[]> {
      const file = join(root, `${randomId()}-${key.replace(/[^A-Za-z0-9.]/g, '_')}`);
      await writeFile(file, await kit.bytes(key));
      const t = await engine();
      return t.rows(sql(`'${file}'`));
    },
    async close(): Promise<void> {
      for (const t of engines) t.close();
      for (const key of await kit.keys()) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      const open = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
      for (const u of open.Uploads ?? []) await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  return kit;
}
