/**
 * The sink registry: a sink is found by its `type`. To add one, write `activities/sinks/<type>.ts`
 * exporting a `SinkAdapter` and list it here.
 */
import { z } from 'zod';
import { fileSink } from './file.js';
import { httpSink } from './http.js';
import { postgresSink } from './postgres.js';
import { s3Sink } from './s3.js';

export const SINKS = { file: fileSink, http: httpSink, postgres: postgresSink, s3: s3Sink } as const;

export const sinkSchema = z.discriminatedUnion('type', [fileSink.schema, httpSink.schema, postgresSink.schema, s3Sink.schema]);
export type SinkSpec = z.infer<typeof sinkSchema>;
