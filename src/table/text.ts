/**
 * Streaming over the text of a local file (`.gz` decompressed) for the checks that name an exact
 * line: every stream error (a `.gz` that is not gzip, a read error) becomes a DataError, never an
 * unhandled 'error' event that would end the worker process.
 *
 *   for await (const { line, text } of lines(file, { file: 's3://b/k.ndjson' })) …
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { pipeline } from 'node:stream';
import { PassThrough, type Readable, type Transform } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { DataError, FerryError, type ErrorContext } from '../errors.js';

/**
 * The file's bytes, decompressed when it ends in `.gz`, through `into` if given. pipeline() destroys
 * every stage when one fails, so an error surfaces once, from the returned stream's iterator (pass
 * it to streamError); none is left unhandled.
 */
export function openBytes(localPath: string, into?: Transform): Readable {
  const stages: NodeJS.ReadWriteStream[] = localPath.endsWith('.gz') ? [createGunzip()] : [];
  const out = into ?? new PassThrough();
  pipeline([createReadStream(localPath), ...stages, out], () => undefined);
  return out;
}

export function streamError(err: unknown, context: ErrorContext): FerryError {
  if (err instanceof FerryError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ERR_STREAM_PREMATURE_CLOSE') return new DataError('the file ended early', context, { cause: err });
  if (e.code?.startsWith('Z_') || /incorrect header check|unexpected end of file|invalid (block|stored|distance)/i.test(e.message ?? '')) {
    return new DataError(`not a valid gzip file (${e.message})`, context, { cause: err });
  }
  return new DataError(`cannot read the file: ${e.message ?? String(err)}`, context, { cause: err });
}

export type Line = { line: number; bytes: Buffer };

/** The file's lines as bytes (without the line break), numbered from 1. */
export async function* lines(localPath: string, context: ErrorContext): AsyncGenerator<Line> {
  let rest: Buffer = Buffer.alloc(0);
  let line = 0;
  const source = openBytes(localPath);
  try {
    for await (const chunk of source) {
      let buf = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
      let nl: number;
      while ((nl = buf.indexOf(10)) >= 0) {
        yield { line: ++line, bytes: stripCr(buf.subarray(0, nl)) };
        buf = buf.subarray(nl + 1);
      }
      rest = Buffer.from(buf);
    }
  } catch (err) {
    throw streamError(err, context);
  } finally {
    source.destroy();
  }
  if (rest.length) yield { line: ++line, bytes: stripCr(rest) };
}

const stripCr = (b: Buffer): Buffer => (b.length && b[b.length - 1] === 13 ? b.subarray(0, -1) : b);

/** The first line that is not valid UTF-8, if any. */
export async function firstInvalidUtf8Line(localPath: string, context: ErrorContext): Promise<number | undefined> {
  for await (const { line, bytes } of lines(localPath, context)) if (!isUtf8(bytes)) return line;
  return undefined;
}

/**
 * The longest CSV record in bytes (a quoted field may span lines) and the line it starts on.
 * Jumps from quote to line break with indexOf, so a file is scanned at memchr speed.
 */
export async function longestRecord(localPath: string, quoteChar: string, context: ErrorContext): Promise<{ line: number; bytes: number }> {
  const quote = quoteChar.charCodeAt(0);
  let best = { line: 0, bytes: 0 };
  let line = 1; // the line the current record starts on
  let physical = 1;
  let length = 0; // bytes of the current record so far
  let inQuote = false;
  const source = openBytes(localPath);
  try {
    for await (const chunk of source) {
      const buf = chunk as Buffer;
      let i = 0;
      // The next line break and quote at or after i (-1: none left in this chunk; -2: not looked up yet).
      let nl = -2;
      let q = -2;
      while (i < buf.length) {
        if (nl !== -1 && nl < i) nl = buf.indexOf(10, i);
        if (q !== -1 && q < i) q = buf.indexOf(quote, i);
        const end = nl < 0 ? buf.length : nl;
        if (q >= 0 && q < end) {
          // Doubled quotes toggle twice: the state stays right without special cases.
          inQuote = !inQuote;
          length += q + 1 - i;
          i = q + 1;
          continue;
        }
        length += end - i;
        if (nl < 0) break;
        physical++;
        i = nl + 1;
        if (inQuote) {
          length += 1;
          continue;
        }
        if (length > best.bytes) best = { line, bytes: length };
        length = 0;
        line = physical;
      }
    }
  } catch (err) {
    throw streamError(err, context);
  } finally {
    source.destroy();
  }
  if (length > best.bytes) best = { line, bytes: length };
  return best;
}
