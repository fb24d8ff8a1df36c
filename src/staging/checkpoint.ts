/**
 * A checkpoint: one activity's durable scratch folder in the staging store (see `Checkpoint` in
 * activities/adapter.ts). The folder is per logical run and activity, so every attempt, on any
 * worker, sees what the earlier ones saved.
 *
 *   const cp = checkpointIn(staging, checkpointKey('retail', 'retail-2024', 'ingest', 'customers'), workdir);
 *   await cp.save('page-000001.ndjson', file);
 *   for (const name of await cp.list()) files.push(await cp.restore(name));
 */
import type { Checkpoint } from '../../activities/adapter.js';
import type { StagingStore } from './store.js';

export function checkpointIn(staging: StagingStore, folder: string, workdir: string): Checkpoint {
  return {
    save: (name, file) => staging.commit(`${folder}/${name}`, file),
    restore: (name) => staging.readPath(staging.uri(`${folder}/${name}`), workdir),
    list: async () => (await staging.list(folder)).map((key) => key.slice(folder.length + 1)),
  };
}
