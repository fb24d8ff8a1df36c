/**
 * The s3 sink's clean-up before it writes: abort the multipart uploads an earlier, killed attempt
 * left open for the keys about to be written (src/connect/s3-multipart.ts). A credential that may
 * write but not list uploads (no s3:ListBucketMultipartUploads) skips the clean-up and says so in
 * the progress note, rather than failing a delivery that would succeed.
 *
 *   const aborted = await abortLeftovers(s3, 'lake', ['curated/sales.csv'], ctx);
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { abortUploadsOf } from '../../src/connect/s3-multipart.js';
import { s3Error } from '../../src/connect/s3.js';
import type { SinkContext } from '../adapter.js';

export async function abortLeftovers(s3: S3Client, bucket: string, keys: string[], ctx: Pick<SinkContext, 'progress'>): Promise<number> {
  try {
    return await abortUploadsOf(s3, bucket, keys);
  } catch (raw) {
    const err = s3Error(raw, { file: `s3://${bucket}/${keys[0] ?? ''}` });
    if (err.code !== 'AUTH') throw err;
    ctx.progress({ note: `unfinished uploads not checked: ${err.message}` });
    return 0;
  }
}
