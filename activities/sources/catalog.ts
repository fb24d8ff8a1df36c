/**
 * `catalog` source: one version of a dataset an earlier run staged (docs/catalog.md), read back
 * byte for byte — checked against the sha256 the catalog recorded — so a re-run of old data is
 * reproducible.
 *
 *   sources:
 *     sales:
 *       type: catalog
 *       dataset: sales_final
 *       pipeline: retail          # optional when only one other pipeline has the dataset
 *       version: retail-2024-01-05 # a run key (`ferry catalog versions sales_final`), or latest
 *
 * While the run reads it, the version is marked in use (retention leaves it); the mark goes when
 * the run records itself. A version named explicitly is never pruned by this pipeline's retention.
 */
import { z } from 'zod';
import { adapterCommon } from '../../src/pipeline/retry.js';
import { NotFoundError } from '../../src/errors.js';
import { datasetName } from '../../src/table/steps/step.js';
import { pipelineOf, resolveVersion, listEntries, markInUse } from '../../src/catalog/store.js';
import type { CatalogEntry } from '../../src/catalog/entry.js';
import type { DatasetRef } from '../../src/staging/store.js';
import type { SourceAdapter } from '../adapter.js';

const schema = z.strictObject({
  type: z.literal('catalog'),
  ...adapterCommon,
  dataset: datasetName.describe('the dataset in the catalog (`ferry catalog list`)'),
  pipeline: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a pipeline name').optional().describe('the pipeline that made it; needed when several other pipelines have a dataset of that name (the reading pipeline\'s own does not count)'),
  version: z.string().min(1).describe('a version (the run key that made it, `ferry catalog versions <dataset>`), or `latest`: the newest completed version'),
});

export type CatalogSourceSpec = z.infer<typeof schema>;

/** The staged file of a catalog entry, as a DatasetRef to read (verified) again. */
export const refOfEntry = (e: CatalogEntry): DatasetRef => ({
  dataset: e.dataset, stage: e.stage, uri: e.uri, rows: e.rows, bytes: e.bytes, columns: e.columns, sha256: e.sha256, ...(e.parts ? { parts: e.parts } : {}),
});

export const catalogSource = {
  schema,
  async read(spec, ctx) {
    const store = ctx.staging;
    const pipeline = await pipelineOf(store, spec.dataset, spec.pipeline, ctx.pipeline);
    const entry = await resolveVersion(store, pipeline, spec.dataset, spec.version);
    if (entry.pruned) {
      const alive = (await listEntries(store, pipeline, spec.dataset)).filter((e) => !e.pruned).slice(0, 3).map((e) => e.version);
      throw new NotFoundError(`version ${entry.version} of ${pipeline}/${spec.dataset} was pruned (${entry.pruned.by}, ${entry.pruned.at}): its data is gone; versions with data: ${alive.join(', ') || 'none'}`, { dataset: ctx.dataset });
    }
    await markInUse(store, entry, { pipeline: ctx.pipeline, key: ctx.runKey });
    ctx.progress({ note: `reading ${pipeline}/${entry.dataset} ${entry.version}` });
    let files: string[];
    try {
      files = await store.readDataset(refOfEntry(entry), ctx.workdir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as { code?: string }).code === 'NOT_FOUND') {
        throw new NotFoundError(`the staged file of ${pipeline}/${entry.dataset} version ${entry.version} is gone (${entry.uri}); was it pruned outside Ferry?`, { dataset: ctx.dataset, file: entry.uri }, { cause: err });
      }
      throw err;
    }
    await ctx.table.loadParquet(ctx.dataset, files);
    ctx.progress({ rows: entry.rows });
    return { detail: `catalog ${pipeline}/${entry.dataset} ${entry.version} (sha256 ${entry.sha256.slice(0, 12)})` };
  },
} satisfies SourceAdapter<CatalogSourceSpec>;
