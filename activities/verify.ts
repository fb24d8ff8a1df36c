/**
 * The verify activity (used by `ferry retry`): which staged datasets of the run being retried are
 * still there, byte for byte? Those are reused instead of recomputed; the rest is computed again.
 */
import type { VerifyInput, VerifyOutput } from '../src/run.js';
import { partsOf, type DatasetRef, type StagingStore } from '../src/staging/store.js';
import { fileDigest } from '../src/table/engine.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function verifyActivity(staging: StagingStore, report?: Reporter) {
  return async function verifyStaged({ refs }: VerifyInput): Promise<VerifyOutput> {
    return withActivityContext('verify staged data', {}, async (scope) => {
      const verified: string[] = [];
      const root = staging.uri('');
      // Only files of the staging store are looked at, whatever a client puts in the input.
      const inStore = (uri: unknown) => typeof uri === 'string' && uri.startsWith(root) && !uri.includes('..');
      const intact = async (part: ReturnType<typeof partsOf>[number]) => {
        if (!inStore(part.uri)) return false;
        const digest = await staging.readPath(part.uri, scope.workdir).then(fileDigest).catch(() => undefined);
        return !!digest && digest.sha256 === part.sha256 && digest.bytes === part.bytes;
      };
      for (const ref of refs as DatasetRef[]) {
        // A fanned-out dataset is reusable when every one of its parts is.
        let whole = inStore(ref.uri);
        for (const part of whole ? partsOf(ref) : []) if (!(whole = await intact(part))) break;
        if (whole) verified.push(ref.uri);
        scope.progress({ note: `${verified.length}/${refs.length} verified` });
      }
      return { verified };
    }, { report, summarize: (out) => `${out.verified.length} of ${refs.length} staged datasets reusable` });
  };
}
