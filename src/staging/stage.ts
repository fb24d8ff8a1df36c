/** Publishing a dataset of the table engine to the staging store: the one way a stage hands on data. */
import type { TableEngine } from '../table/engine.js';
import { stagingKey, type DatasetRef, type StagingStore } from './store.js';

/** `part`: one part of a fanned-out source, staged as `<dataset>.<part>.parquet` beside the others. */
export type StageTarget = { pipeline: string; workflowId: string; stage: string; workdir: string; part?: string };

export async function stageDataset(store: StagingStore, table: TableEngine, dataset: string, at: StageTarget): Promise<DatasetRef> {
  const key = stagingKey(at.pipeline, at.workflowId, at.stage, at.part ? `${dataset}.${at.part}` : dataset);
  const file = store.writePath(key, at.workdir);
  const stats = await table.exportParquet(dataset, file);
  await store.commit(key, file);
  return { dataset, stage: at.stage, uri: store.uri(key), ...stats };
}
