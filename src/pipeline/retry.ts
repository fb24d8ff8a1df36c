/**
 * Retry policy in config: pipeline-wide under `settings.retry`, and per source or sink under its own
 * `retry:` (only the fields given there change).
 *
 *   sinks:
 *     api: { type: http, …, retry: { maximum_attempts: 100, maximum_interval: 5m } }
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';

export const retrySchema = z.strictObject({
  initial_interval: durationSchema.default('1s'),
  backoff: z.number().min(1).default(2),
  maximum_interval: durationSchema.default('1m'),
  maximum_attempts: z.number().int().min(0).default(30).describe('0 = unlimited; the default rides out a sink outage of about 25 minutes'),
});
export type RetrySpec = z.infer<typeof retrySchema>;

/** The fields every source and sink accepts besides its own. */
export const adapterCommon = {
  retry: z.strictObject({
    initial_interval: durationSchema.optional(),
    backoff: z.number().min(1).optional(),
    maximum_interval: durationSchema.optional(),
    maximum_attempts: z.number().int().min(0).optional(),
  }).optional().describe('overrides settings.retry for this activity'),
  description: z.string().optional(),
};
