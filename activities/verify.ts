/**
 * The verify activity (used by `ferry retry`): which staged datasets of the run being retried are
 * still there, byte for byte? Those are reused instead of recomputed; the rest is computed again.
 */
import type { VerifyInput, VerifyOutput } from '../src/run.js';
import type { StagingStore } from '../src/staging/store.js';
import { fileDigest } from '../src/table/engine.js';
import { withActivityContext, type Reporter } from './boundary.js';

export function verifyActivity(staging: StagingStore, report?: Reporter) {
  return async function verifyStaged({ refs }: VerifyInput): Promise<VerifyOutput> {
    return withActivityContext('verify staged data', {}, async (scope) => {
      const verified: string[] = [];
      const root = staging.uri('');
      for (const ref of refs) {
        // Only files of the staging store are looked at, whatever a client puts in the input.
        if (typeof ref.uri !== 'string' || !ref.uri.startsWith(root) || ref.uri.includes('..')) continue;
        const digest = await staging.readPath(ref.uri, scope.workdir).then(fileDigest).catch(() => undefined);
        if (digest && digest.sha256 === ref.sha256 && digest.bytes === ref.bytes) verified.push(ref.uri);
        scope.progress({ note: `${verified.length}/${refs.length} verified` });
      }
      return { verified };
    }, { report, summarize: (out) => `${out.verified.length} of ${refs.length} staged datasets reusable` });
  };
}
