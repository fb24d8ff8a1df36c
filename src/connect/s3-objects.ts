/**
 * Choosing the objects an s3 source reads: one `key`, every object under a `prefix`, or the keys
 * matching a `glob`; listed with ListObjectsV2 page by page (continuation tokens, 1000 keys a page)
 * and sorted by key in S3's own order (UTF-8 bytes).
 *
 *   const objects = await selectObjects(s3, { bucket: 'lake', glob: 'raw/2024-*\/sales_*.csv.gz' });
 *   // [{ key: 'raw/2024-01/sales_1.csv.gz', size: 812, lastModified: '2024-02-01T10:00:00.000Z' }, …]
 *
 * Globs are anchored (the whole key must match): `*` is any run of characters except `/`, `?` one
 * character except `/`, `**` any number of whole path segments (`raw/**\/x.csv` matches `raw/x.csv`
 * and `raw/a/b/x.csv`), `[abc]`/`[a-z]`/`[!a]` a character class, `{a,b}` alternatives, and `\`
 * escapes the next character. Only the literal part before the first wildcard is sent to S3 as the
 * listing prefix; the rest is matched here.
 *
 * Failure semantics: listing is read-only; an interrupted listing is started over by the retry.
 * S3 errors go through s3Error (not found, auth, config: not retried; throttling, network: retried).
 */
import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.js';
import { s3Error } from './s3.js';

export type S3Object = { key: string; size?: number; lastModified?: string };

/** Exactly one of key, prefix, glob. */
export type ObjectSelection = { bucket: string; key?: string; prefix?: string; glob?: string };

/** S3's listing order: by the key's UTF-8 bytes (not JavaScript's UTF-16 order). */
export const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** The glob as an anchored regular expression. Throws a ConfigError for an unclosed `[` or `{`. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let i = 0;
  let braces = 0;
  while (i < glob.length) {
    const c = glob[i]!;
    if (c === '\\') {
      if (i + 1 < glob.length) re += escapeRe(glob[i + 1]!);
      i += 2;
    } else if (c === '*' && glob[i + 1] === '*') {
      const atStart = i === 0 || glob[i - 1] === '/';
      const afterSlash = glob[i + 2] === '/';
      if (atStart && afterSlash) {
        re += '(?:.*/)?'; // `**/`: zero or more whole segments
        i += 3;
      } else if (atStart && i + 2 === glob.length) {
        re += '.*'; // trailing `**`: everything below
        i += 2;
      } else {
        re += '.*'; // `a**b`: treated as crossing `/` too
        i += 2;
      }
    } else if (c === '*') {
      re += '[^/]*';
      i++;
    } else if (c === '?') {
      re += '[^/]';
      i++;
    } else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new ConfigError(`glob ${JSON.stringify(glob)}: "[" at ${i + 1} is never closed`, { field: 'glob' });
      let body = glob.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end + 1;
    } else if (c === '{') {
      braces++;
      re += '(?:';
      i++;
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
      i++;
    } else if (c === ',' && braces > 0) {
      re += '|';
      i++;
    } else {
      re += escapeRe(c);
      i++;
    }
  }
  if (braces > 0) throw new ConfigError(`glob ${JSON.stringify(glob)}: "{" is never closed`, { field: 'glob' });
  return new RegExp(`^${re}$`, 's');
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The literal start of a glob (up to its first wildcard): the prefix the listing asks S3 for. */
export function globPrefix(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if ('*?[{'.includes(c)) break;
    if (c === '\\') {
      if (i + 1 < glob.length) out += glob[++i];
      continue;
    }
    out += c;
  }
  return out;
}

export type ListOptions = {
  signal?: AbortSignal;
  /** Start listing after this key (ListObjectsV2 StartAfter). */
  startAfter?: string;
  /** Stop once keys pass this one (keys ≤ it are returned). */
  through?: string;
  /** Called after each page with the number of keys listed so far. */
  onPage?: (listed: number, page: number) => void;
};

/** Every object under `prefix`, following continuation tokens; in S3's key order. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string, options: ListOptions = {}): Promise<S3Object[]> {
  const out: S3Object[] = [];
  let token: string | undefined;
  let page = 0;
  do {
    let res;
    try {
      res = await s3.send(new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix || undefined,
        ContinuationToken: token,
        ...(token === undefined && options.startAfter !== undefined ? { StartAfter: options.startAfter } : {}),
      }), { abortSignal: options.signal });
    } catch (err) {
      throw s3Error(err, { file: `s3://${bucket}/${prefix}` });
    }
    page++;
    for (const o of res.Contents ?? []) {
      if (o.Key === undefined) continue;
      if (options.through !== undefined && compareKeys(o.Key, options.through) > 0) {
        options.onPage?.(out.length, page);
        return out;
      }
      out.push({ key: o.Key, size: o.Size, lastModified: o.LastModified?.toISOString() });
    }
    options.onPage?.(out.length, page);
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/** One object's size and LastModified (HeadObject): a missing key is a NotFoundError naming it. */
export async function headObject(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<S3Object> {
  try {
    const res = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    return { key, size: res.ContentLength, lastModified: res.LastModified?.toISOString() };
  } catch (err) {
    throw s3Error(err, { file: `s3://${bucket}/${key}` });
  }
}

/** The listing prefix and the key filter of a selection. */
export function selectionFilter(sel: ObjectSelection): { prefix: string; matches: (key: string) => boolean } {
  if (sel.glob !== undefined) {
    const re = globToRegExp(sel.glob);
    return { prefix: globPrefix(sel.glob), matches: (k) => re.test(k) };
  }
  if (sel.prefix !== undefined) return { prefix: sel.prefix, matches: (k) => !k.endsWith('/') }; // "folder" markers are not data
  return { prefix: sel.key!, matches: (k) => k === sel.key };
}

/** Objects of a prefix or glob selection, sorted by key (S3 order); `options` narrow the listing. */
export async function selectObjects(s3: S3Client, sel: ObjectSelection, options: ListOptions = {}): Promise<S3Object[]> {
  const { prefix, matches } = selectionFilter(sel);
  const listed = await listObjects(s3, sel.bucket, prefix, options);
  return listed.filter((o) => matches(o.key)).sort((a, b) => compareKeys(a.key, b.key));
}

/** How a selection is named in messages: `s3://bucket/prefix*`, or the glob. */
export function describeSelection(sel: ObjectSelection): string {
  if (sel.glob !== undefined) return `s3://${sel.bucket}/${sel.glob} (glob)`;
  if (sel.prefix !== undefined) return `s3://${sel.bucket}/${sel.prefix} (prefix)`;
  return `s3://${sel.bucket}/${sel.key}`;
}
