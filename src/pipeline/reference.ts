/**
 * Renders docs/reference.md from the zod schemas themselves, so the documented options of every
 * source, sink, step, paginator and connection are the ones the code accepts
 * (`npm run docs` writes it; a unit test fails when it is stale).
 */
import { z } from 'zod';
import { SOURCES } from '../../activities/sources/index.js';
import { SINKS } from '../../activities/sinks/index.js';
import { STEPS } from '../table/steps/index.js';
import { paginateSchema } from '../connect/paginators.js';
import { connectionSchema } from '../connect/connections.js';
import { settingsSchema } from './schema.js';
import { scheduleSchema } from './schedule.js';
import { qualitySchema } from '../quality/schema.js';
import { RULES } from '../quality/rules/index.js';

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
};

const json = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

function typeText(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  const union = s.oneOf ?? s.anyOf;
  if (union) {
    const kinds = union.map((u) => u.properties?.type?.const).filter((k) => k !== undefined);
    return kinds.length === union.length ? `one of: ${kinds.map((k) => `\`${String(k)}\``).join(', ')}` : union.map(typeText).join(' or ');
  }
  if (s.type === 'array') return `list of ${s.items ? typeText(s.items) : 'values'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of name → ${typeText(s.additionalProperties)}`;
  if (s.type === 'object') return 'object';
  return Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any');
}

function fieldsTable(schema: JsonSchema): string[] {
  const rows = Object.entries(schema.properties ?? {}).filter(([name]) => name !== 'type').map(([name, p]) => {
    const required = schema.required?.includes(name) && p.default === undefined;
    const dflt = p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : required ? '**required**' : '';
    return `| \`${name}\` | ${typeText(p)} | ${dflt} | ${(p.description ?? '').replace(/\|/g, '\\|')} |`;
  });
  return rows.length ? ['| field | type | default | description |', '| --- | --- | --- | --- |', ...rows] : ['(no options)'];
}

/** Where each adapter's options are shown at work, with examples (docs/connectors.md). */
const EXAMPLES: Record<string, Record<string, string>> = {
  Sources: { http: 'http-source', postgres: 'postgresql-source', s3: 's3-source' },
  Sinks: { http: 'http-sink', postgres: 'postgresql-sink', s3: 's3-sink' },
  'Quality rules (`quality.rules`)': Object.fromEntries(Object.keys(RULES).map((rule) => [rule, 'rules'])),
};
const EXAMPLE_DOCS: Record<string, string> = { 'Quality rules (`quality.rules`)': 'quality.md' };

function section(title: string, entries: [string, JsonSchema][]): string[] {
  const example = (type: string) => {
    const anchor = EXAMPLES[title]?.[type];
    const doc = EXAMPLE_DOCS[title] ?? 'connectors.md';
    return anchor ? [`Examples and failure semantics: [${doc}](${doc}#${anchor}).`, ''] : [];
  };
  return [`## ${title}`, '', ...entries.flatMap(([type, schema]) => [`### \`${type}\``, '', ...example(type), ...fieldsTable(schema), ''])];
}

const variants = (schema: z.ZodType): [string, JsonSchema][] =>
  (json(schema).oneOf ?? []).map((v) => [String(v.properties?.type?.const), v]);

export function renderReference(): string {
  return [
    '# Reference',
    '',
    'Generated from the zod schemas by `npm run docs`; do not edit by hand.',
    '',
    ...section('Sources', Object.entries(SOURCES).map(([type, a]) => [type, json(a.schema)])),
    ...section('Sinks', Object.entries(SINKS).map(([type, a]) => [type, json(a.schema)])),
    ...section('Steps', Object.entries(STEPS).map(([type, s]) => [type, json(s.schema)])),
    ...section('Paginators (http source `paginate`)', variants(paginateSchema)),
    ...section('Connections (config/connections.yaml)', variants(connectionSchema)),
    ...section('Settings', [['settings', json(settingsSchema)], ['settings.retry', json(settingsSchema).properties!.retry!]]),
    ...section('Schedule (`ferry schedule apply`, docs/schedules.md)', [['schedule', json(scheduleSchema)]]),
    ...section('Quality (`quality:`, docs/quality.md)', [['quality', json(qualitySchema.omit({ rules: true }))]]),
    ...section('Quality rules (`quality.rules`)', Object.entries(RULES).map(([rule, r]) => [rule, json(r.schema as z.ZodType)])),
  ].join('\n');
}
