/**
 * The source registry: a source is found by its `type`. To add one, write `activities/sources/<type>.ts`
 * exporting a `SourceAdapter` and list it here.
 */
import { z } from 'zod';
import { fileSource } from './file.js';
import { httpSource } from './http.js';
import { postgresSource } from './postgres.js';
import { s3Source } from './s3.js';
import { catalogSource } from './catalog.js';

export const SOURCES = { file: fileSource, http: httpSource, postgres: postgresSource, s3: s3Source, catalog: catalogSource } as const;

export const sourceSchema = z.discriminatedUnion('type', [fileSource.schema, httpSource.schema, postgresSource.schema, s3Source.schema, catalogSource.schema]);
export type SourceSpec = z.infer<typeof sourceSchema>;
