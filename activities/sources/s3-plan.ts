/**
 * Which objects one read of an s3 source covers: the selection (key, prefix or glob), narrowed to
 * the incremental window (cursor `key` or `last_modified`), split into fan-out parts, and for a
 * part, back to its objects.
 *
 *   const { objects, before } = await planObjects(s3, spec, ctx.window);
 *   const parts = partsOf(objects, { batch: 100 }, ctx.window);   // [{ name: 'objects-1-100', keys: […] }, …]
 *
 * Parts stay small JSON: up to PART_KEYS_LIMIT objects in all they name their keys; beyond that, a
 * key range (`after`, `through`) that the part lists again (StartAfter), so a plan of 100,000
 * objects is a few kilobytes of workflow history. With the `last_modified` cursor a part also
 * carries the newest LastModified of the plan (`until`): an object written after planning is left
 * for the next run, whatever part its key falls in, so the watermark never passes an unread object.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError, DataError } from '../../src/errors.js';
import type { IncrementalWindow } from '../../src/pipeline/incremental.js';
import { compareKeys, headObject, selectObjects, type ObjectSelection, type S3Object } from '../../src/connect/s3-objects.js';
import type { SourcePart } from '../adapter.js';

/** Cursors that are properties of the objects, not columns of the rows. */
export const OBJECT_CURSORS = ['key', 'last_modified'] as const;
type ObjectCursor = (typeof OBJECT_CURSORS)[number];

export const objectCursor = (window: IncrementalWindow | undefined): ObjectCursor | undefined =>
  window && (OBJECT_CURSORS as readonly string[]).includes(window.cursor) ? (window.cursor as ObjectCursor) : undefined;

/** Above this many objects in all, parts carry key ranges instead of key lists. */
export const PART_KEYS_LIMIT = 1000;

export type S3Part = SourcePart & { keys?: string[]; after?: string; through?: string; until?: string };

function timeOf(value: string, what: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ConfigError(`incremental: ${what} ${JSON.stringify(value)} is not a date or time`, { field: 'incremental' });
  return ms;
}

/** The objects inside the window (all of them without an object cursor). */
export function inWindow(objects: S3Object[], window: IncrementalWindow | undefined): S3Object[] {
  const cursor = objectCursor(window);
  if (!cursor || window?.start === undefined) return objects;
  const start = window.start;
  if (cursor === 'key') return objects.filter((o) => compareKeys(o.key, start) > 0);
  const from = timeOf(start, 'start');
  return objects.filter((o) => o.lastModified !== undefined && Date.parse(o.lastModified) > from);
}

/** The watermark of the objects read: the greatest key, or the newest LastModified (ISO, ms). */
export function watermarkOf(objects: S3Object[], window: IncrementalWindow | undefined, until?: string): string | undefined {
  const cursor = objectCursor(window);
  if (!cursor || objects.length === 0) return undefined;
  if (cursor === 'key') return objects.map((o) => o.key).sort(compareKeys).at(-1);
  const times = objects.map((o) => o.lastModified).filter((t): t is string => !!t).map((t) => Date.parse(t));
  const newest = times.length ? Math.max(...times) : until ? Date.parse(until) : undefined;
  return newest === undefined ? undefined : new Date(newest).toISOString();
}

/**
 * The objects to read, sorted by key, and `before`: the newest-keyed object the window left out
 * (its columns give an empty incremental read its schema).
 */
export async function planObjects(s3: S3Client, sel: ObjectSelection, window: IncrementalWindow | undefined, signal?: AbortSignal, onPage?: (listed: number, page: number) => void): Promise<{ all: number; objects: S3Object[]; before?: S3Object }> {
  const listed = sel.key !== undefined
    ? [objectCursor(window) === 'last_modified' ? await headObject(s3, sel.bucket, sel.key, signal) : { key: sel.key }]
    : await selectObjects(s3, sel, { signal, onPage });
  const objects = inWindow(listed, window);
  const kept = new Set(objects.map((o) => o.key));
  const before = listed.filter((o) => !kept.has(o.key)).at(-1);
  return { all: listed.length, objects, ...(before ? { before } : {}) };
}

/** Fan-out parts of `batch` objects each, in key order. */
export function partsOf(objects: S3Object[], batch: number, window: IncrementalWindow | undefined): S3Part[] {
  const until = objectCursor(window) === 'last_modified' ? watermarkOf(objects, window) : undefined;
  const ranges = objects.length > PART_KEYS_LIMIT;
  const parts: S3Part[] = [];
  const width = String(objects.length).length;
  const n = (i: number) => String(i).padStart(width, '0');
  for (let i = 0; i < objects.length; i += batch) {
    const chunk = objects.slice(i, i + batch);
    const name = chunk.length === 1 ? `object-${n(i + 1)}` : `objects-${n(i + 1)}-${n(i + chunk.length)}`;
    const part: S3Part = ranges
      ? { name, ...(i > 0 ? { after: objects[i - 1]!.key } : {}), through: chunk.at(-1)!.key }
      : { name, keys: chunk.map((o) => o.key) };
    if (until) part.until = until;
    parts.push(part);
  }
  return parts;
}

/** The objects of one part: its keys, or its key range listed again and narrowed as the plan was. */
export async function partObjects(s3: S3Client, sel: ObjectSelection, part: S3Part, window: IncrementalWindow | undefined, signal?: AbortSignal): Promise<S3Object[]> {
  if (part.keys) {
    if (objectCursor(window) !== 'last_modified') return part.keys.map((key) => ({ key }));
    // The part's watermark is the plan's newest LastModified: no need to ask for each object's.
    return part.keys.map((key) => ({ key, ...(part.until ? { lastModified: part.until } : {}) }));
  }
  if (part.through === undefined) throw new DataError(`fan-out part ${part.name} names neither keys nor a key range`);
  const listed = await selectObjects(s3, sel, { signal, through: part.through, ...(part.after !== undefined ? { startAfter: part.after } : {}) });
  const until = part.until ? Date.parse(part.until) : undefined;
  return inWindow(listed, window).filter((o) => until === undefined || (o.lastModified !== undefined && Date.parse(o.lastModified) <= until));
}
