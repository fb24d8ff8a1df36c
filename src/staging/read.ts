/**
 * Reading a staged dataset back, verified: every part's bytes must hash to the sha256 recorded in
 * its DatasetRef when it was staged. A mismatch means the staged file changed or was cut short
 * since (an overwrite, a torn copy, a corrupted disk): the run stops with a DATA error naming the
 * dataset instead of computing on the wrong rows.
 *
 *   const files = await readVerified(store, ref, workdir);   // local paths, one per part
 *   await table.loadParquet(ref.dataset, files);
 */
import { DataError } from '../errors.js';
import { fileDigest } from '../table/engine.js';
import { partsOf, type DatasetRef, type StagingStore } from './store.js';

export async function readVerified(store: StagingStore, ref: DatasetRef, workdir: string): Promise<string[]> {
  const files: string[] = [];
  for (const part of partsOf(ref)) {
    const local = await store.readPath(part.uri, workdir);
    // Refs recorded before checksums existed carry none: nothing to compare.
    if (part.sha256) {
      const { sha256, bytes } = await fileDigest(local);
      if (sha256 !== part.sha256) {
        throw new DataError(
          `staged file ${part.uri} does not match its checksum (sha256 ${part.sha256.slice(0, 12)}…, ${part.bytes} bytes when staged; now ${sha256.slice(0, 12)}…, ${bytes} bytes): it changed after it was staged; re-run the stage that wrote it`,
          { dataset: ref.dataset, stage: ref.stage, file: part.uri },
        );
      }
    }
    files.push(local);
  }
  return files;
}
