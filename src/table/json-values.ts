/**
 * The records of a JSON file as text, streamed: the elements of a top-level array, or else each
 * top-level value (one object, or objects one after another). Only the boundaries are found here,
 * by counting brackets outside strings; each record's text is then parsed exactly by the caller,
 * so a file of any size is read in constant memory (plus its largest record).
 *
 *   for await (const { text, line } of jsonRecords('/tmp/orders.json', { file: 's3://b/orders.json' })) …
 */
import { DataError, type ErrorContext } from '../errors.js';
import { openBytes, streamError, firstInvalidUtf8Line } from './text.js';

export type RecordText = { text: string; line: number };

export async function* jsonRecords(localPath: string, context: ErrorContext): AsyncGenerator<RecordText> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const malformed = (what: string, line: number) => new DataError(`malformed JSON: ${what}`, { ...context, line });
  let line = 1;
  let seenValue = false; // any top-level value yet
  let inArray = false; // inside the top-level array
  let expect: 'value' | 'separator' | 'value-or-end' = 'value';
  let depth = 0; // brackets open inside the current record
  let inString = false;
  let escaped = false;
  let record: string[] | undefined; // pieces of the record being read
  let recordLine = 0;
  let from = 0; // where the record starts in the current chunk
  const source = openBytes(localPath);
  try {
    for await (const bytes of source) {
      let chunk: string;
      try {
        chunk = decoder.decode(bytes as Buffer, { stream: true });
      } catch {
        throw new DataError('invalid UTF-8', { ...context, line: await firstInvalidUtf8Line(localPath, context) });
      }
      from = 0;
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        if (c === '\n') line++;
        if (inString) {
          if (escaped) escaped = false;
          else if (c === '\\') escaped = true;
          else if (c === '"') inString = false;
          continue;
        }
        const space = c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\uFEFF';
        if (record) {
          // A scalar ends at whitespace or a separator; a container when its last bracket closes.
          if (depth === 0 && (space || c === ',' || c === ']' || c === '}')) {
            record.push(chunk.slice(from, i));
            yield { text: record.join(''), line: recordLine };
            record = undefined;
            expect = inArray ? 'separator' : 'value';
          } else {
            if (c === '"') inString = true;
            else if (c === '{' || c === '[') depth++;
            else if (c === '}' || c === ']') {
              depth--;
              if (depth === 0) {
                record.push(chunk.slice(from, i + 1));
                yield { text: record.join(''), line: recordLine };
                record = undefined;
                expect = inArray ? 'separator' : 'value';
              }
            }
            continue;
          }
        }
        if (space) continue;
        if (inArray && expect !== 'value' && c === ']') {
          inArray = false;
          expect = 'value';
          continue;
        }
        if (inArray && expect === 'separator' && c === ',') {
          expect = 'value';
          continue;
        }
        if (expect === 'separator' || (!inArray && seenValue && !'{['.includes(c))) throw malformed(`unexpected ${JSON.stringify(c)}`, line);
        if (!seenValue && c === '[') {
          seenValue = true;
          inArray = true;
          expect = 'value-or-end';
          continue;
        }
        if (!inArray && seenValue && c === '[') throw malformed('a second top-level array', line);
        if (c === ',' || c === ']' || c === '}' || c === ':') throw malformed(`unexpected ${JSON.stringify(c)}`, line);
        seenValue = true;
        record = [];
        recordLine = line;
        from = i;
        if (c === '"') inString = true;
        else if (c === '{' || c === '[') depth = 1;
      }
      if (record) {
        record.push(chunk.slice(from));
        from = 0;
      }
    }
    try {
      decoder.decode(); // a character cut off at the end
    } catch {
      throw new DataError('invalid UTF-8', { ...context, line });
    }
  } catch (err) {
    throw streamError(err, context);
  } finally {
    source.destroy();
  }
  if (record && depth === 0 && !inString) yield { text: record.join(''), line: recordLine };
  else if (record || inArray) throw malformed('Unexpected end of JSON input', line);
}
