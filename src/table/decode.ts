/**
 * Before a file is read: zstd decompressed and text in another encoding turned into UTF-8, into a
 * plain file in the work directory, so that every reader and every exact-line check sees UTF-8
 * bytes. gzip stays as it is (DuckDB and the line checks read `.gz` themselves) unless the text must
 * also be re-encoded.
 *
 *   const local = await prepareFile('/tmp/w/sales.csv.zst', { compression: 'zstd', encoding: 'latin-1' }, '/tmp/w', { file: 's3://b/sales.csv.zst' });
 *   // → /tmp/w/decoded/sales.csv (UTF-8)
 *
 * Encodings: `utf-8` (nothing to do), `latin-1` / `iso-8859-1` (exactly ISO 8859-1: every byte is
 * the code point of its value), `utf-16` (little-endian unless the file starts with a big-endian
 * byte order mark), and any other WHATWG label (`utf-16le`, `utf-16be`, `windows-1252`,
 * `shift_jis`, `gbk`…) through TextDecoder. Bytes that are not valid in the encoding are a
 * DataError naming the line. zstd uses the `zstd` program (Node 20 has no zstd in zlib): a worker
 * without it fails with a ConfigError that says so.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { spawn } from 'node:child_process';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { ConfigError, DataError, FerryError, type ErrorContext } from '../errors.js';
import { streamError } from './text.js';

export const compressionSchema = z.enum(['auto', 'none', 'gzip', 'zstd'])
  .describe('default auto: from the name (.gz, .zst); none, gzip or zstd whatever the name');
export type Compression = 'gzip' | 'zstd' | 'none';

const LATIN1 = new Set(['latin-1', 'latin1', 'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'l1']);
const UTF8 = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);

/** True when `label` names an encoding Ferry can read. */
export function knownEncoding(label: string): boolean {
  const l = label.trim().toLowerCase();
  if (LATIN1.has(l) || UTF8.has(l) || l === 'utf-16') return true;
  try {
    new TextDecoder(l);
    return true;
  } catch {
    return false;
  }
}

export const encodingSchema = z.string().default('utf-8').refine(knownEncoding, { message: 'unknown encoding: use utf-8, latin-1, utf-16, utf-16le, utf-16be, windows-1252 or another WHATWG encoding label' })
  .describe('the text encoding of the file: utf-8 (default), latin-1 (ISO 8859-1), utf-16 (BOM decides the byte order; else little-endian), utf-16le, utf-16be, windows-1252 or any WHATWG label; read into UTF-8');

/** The compression of a file by its name: `.gz` gzip, `.zst`/`.zstd` zstd. */
export function compressionFromPath(path: string): Compression {
  if (/\.gz$/i.test(path)) return 'gzip';
  if (/\.zstd?$/i.test(path)) return 'zstd';
  return 'none';
}

/** The name without its compression extension. */
export const withoutCompression = (name: string): string => name.replace(/\.(gz|zstd?)$/i, '');

export type PrepareOptions = { compression?: 'auto' | Compression; encoding?: string };

/**
 * A local file DuckDB and the line checks can read: `path` itself when nothing needs doing, else a
 * new file in `workdir` (its name keeps the format extension; `.gz` when it is left gzipped).
 */
export async function prepareFile(path: string, options: PrepareOptions, workdir: string, context: ErrorContext): Promise<string> {
  const named = context.file ?? path;
  const compression = !options.compression || options.compression === 'auto' ? compressionFromPath(named) : options.compression;
  const encoding = (options.encoding ?? 'utf-8').trim().toLowerCase();
  const recode = !UTF8.has(encoding);
  const onDisk = compressionFromPath(path);
  if (!recode && compression === onDisk && compression !== 'zstd') return path;
  const dir = join(workdir, 'decoded');
  await mkdir(dir, { recursive: true });
  const plain = withoutCompression(basename(named));
  // gzip without re-encoding: only the name must say .gz (or not) for DuckDB.
  if (!recode && compression !== 'zstd' && onDisk !== 'zstd') {
    const out = join(dir, compression === 'gzip' ? `${plain}.gz` : plain);
    await pipeline(createReadStream(path), createWriteStream(out));
    return out;
  }
  const out = join(dir, plain);
  const source = compression === 'zstd' ? zstdStream(path, context) : asSource(createReadStream(path));
  const stages: NodeJS.ReadWriteStream[] = [...(compression === 'gzip' ? [createGunzip()] : []), ...(recode ? [decoder(encoding, context)] : [])];
  try {
    await pipeline([source.stream, ...stages, createWriteStream(out)]);
  } catch (err) {
    throw (await source.failure()) ?? (err instanceof FerryError ? err : streamError(err, context));
  }
  const failed = await source.failure();
  if (failed) throw failed;
  return out;
}

type Source = { stream: Readable; failure: () => Promise<FerryError | undefined> };

function zstdStream(path: string, context: ErrorContext): Source {
  const child = spawn('zstd', ['-d', '-c', '-q', '--', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<FerryError | undefined>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT'
      ? new ConfigError('reading zstd needs the zstd program on the worker (e.g. apt-get install zstd)', context, { cause: err })
      : new DataError(`cannot run zstd: ${err.message}`, context, { cause: err })));
    const why = () => stderr.trim().split(path).join('').replace(/^zstd:\s*:?\s*/, '') || `zstd exited with ${code}`;
    let code: number | null = null;
    child.on('close', (c) => {
      code = c;
      resolve(c === 0 ? undefined : new DataError(`not a valid zstd file (${why()})`, context));
    });
  });
  return { stream: child.stdout, failure: () => exited };
}

function asSource(stream: Readable): Source {
  return { stream, failure: async () => undefined };
}

/** UTF-8 out of `encoding` in; an invalid byte sequence is a DataError at its line. */
function decoder(encoding: string, context: ErrorContext): Transform {
  let line = 1;
  const count = (text: string) => {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) line++;
  };
  if (LATIN1.has(encoding)) {
    return new Transform({
      transform(chunk: Buffer, _enc, done) {
        done(null, Buffer.from(chunk.toString('latin1'), 'utf8'));
      },
    });
  }
  let td: TextDecoder | undefined;
  const open = (first: Buffer): TextDecoder => {
    let label = encoding;
    if (label === 'utf-16') label = first[0] === 0xfe && first[1] === 0xff ? 'utf-16be' : 'utf-16le';
    return new TextDecoder(label, { fatal: true });
  };
  // The line of the first invalid sequence: count the line breaks before it in a lenient decoding.
  const fail = (err: unknown, chunk?: Buffer) => {
    const lenient = chunk ? new TextDecoder(td?.encoding ?? 'utf-8').decode(chunk) : '';
    const upTo = lenient.slice(0, Math.max(lenient.indexOf('\uFFFD'), 0));
    count(upTo);
    return new DataError(`the text is not valid ${encoding}`, { ...context, line }, { cause: err });
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        td ??= open(chunk);
        const text = td.decode(chunk, { stream: true });
        done(null, Buffer.from(text, 'utf8'));
        count(text);
      } catch (err) {
        done(fail(err, chunk));
      }
    },
    flush(done) {
      try {
        done(null, Buffer.from(td?.decode() ?? '', 'utf8'));
      } catch (err) {
        done(fail(err));
      }
    },
  });
}
