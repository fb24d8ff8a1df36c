/**
 * The pipeline YAML, as zod schemas. Sources, steps and sinks come from their registries, so a new
 * adapter or step is part of the language as soon as it is registered. Types are inferred, never
 * written twice.
 */
import { z } from 'zod';
import { sourceSchema } from '../../activities/sources/index.js';
import { sinkSchema } from '../../activities/sinks/index.js';
import { stepSchema } from '../table/steps/index.js';
import { datasetName } from '../table/steps/step.js';
import { durationSchema } from './duration.js';
import { retrySchema } from './retry.js';
import { scheduleSchema } from './schedule.js';
import { qualitySchema } from '../quality/schema.js';

export { retrySchema };

/** A pipeline's name: the first folder of its runs in the staging store. */
export const pipelineName = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected lower-case letters, digits, - and _');

export const settingsSchema = z.strictObject({
  retry: retrySchema.default(retrySchema.parse({})),
  // 20 s: a killed worker's activity runs again elsewhere within about 22 s (the worker beats every
  // 2 s; the server waits this long after the last beat, then the first retry follows in 1 s).
  heartbeat_timeout: durationSchema.default('20s').describe('a worker that stops heartbeating this long is presumed dead; its activity is retried elsewhere'),
  stall_timeout: durationSchema.default('5m').describe('a source or sink attempt that reports no progress this long fails and is retried (a heartbeat means progress, not a live timer)'),
  activity_timeout: durationSchema.default('2h').describe('longest a single attempt of one activity may run'),
  catalog: z.strictObject({
    keep: z.number().int().min(1).optional().describe('completed versions kept per dataset (the newest N by run time; failed ones newer than the oldest of them stay too); older ones lose their staged files, not their entry. Default: all'),
  }).optional().describe('the versioned catalog (docs/catalog.md)'),
});

export const pipelineSchema = z.strictObject({
  name: pipelineName,
  description: z.string().optional(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  sources: z.record(datasetName, sourceSchema).refine((s) => Object.keys(s).length > 0, 'a pipeline needs at least one source'),
  standardize: z.array(stepSchema).default([]),
  preprocess: z.array(stepSchema).default([]),
  quality: qualitySchema.optional().describe('rules checked after preprocess, before any sink is written (docs/quality.md)'),
  sinks: z.record(datasetName, sinkSchema).default({}),
  settings: settingsSchema.default(settingsSchema.parse({})),
  schedule: scheduleSchema.optional().describe('run it on a Temporal Schedule: `ferry schedule apply`'),
});

export type PipelineSpec = z.infer<typeof pipelineSchema>;

/** The stages of a run, in order. Step stages run the declarative steps of the same name. */
export const STAGES = ['ingest', 'standardize', 'preprocess', 'quality', 'deliver'] as const;
export type StageName = (typeof STAGES)[number];
export const STEP_STAGES = ['standardize', 'preprocess'] as const;
