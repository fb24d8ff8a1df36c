/**
 * `$1, $2…` of a source query, inlined as SQL literals: `COPY (query) TO STDOUT` takes no bind
 * parameters. Each value becomes what pg sends for a bind parameter — its text, of unknown type, so
 * PostgreSQL infers the type from the context exactly as it does for `$n` — written as a quoted
 * literal with pg's `escapeLiteral` rules (quotes doubled; a value with a backslash as an E'…'
 * string with the backslashes doubled). `null` is NULL. Placeholders inside string literals,
 * quoted identifiers, dollar-quoted strings and comments are left alone.
 *
 *   inlineParams(`SELECT * FROM t WHERE name = $1 AND note <> '$1'`, ["O'Brien"])
 *   // → SELECT * FROM t WHERE name = 'O''Brien' AND note <> '$1'
 */
import { ConfigError } from '../errors.js';

export type SqlParam = string | number | boolean | null;

/** pg's escapeLiteral: `'it''s'`, or ` E'a\\b'` when the text holds a backslash. */
export function escapeLiteral(text: string): string {
  let hasBackslash = false;
  let out = "'";
  for (const c of text) {
    if (c === "'") out += "''";
    else if (c === '\\') {
      out += '\\\\';
      hasBackslash = true;
    } else out += c;
  }
  out += "'";
  return hasBackslash ? ` E${out}` : out;
}

/** A parameter as the literal pg would have bound: its text, untyped (`'5'`, `'true'`), or NULL. */
export function paramLiteral(value: SqlParam): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number' && !Number.isFinite(value)) return escapeLiteral(value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN');
  return escapeLiteral(String(value));
}

/** `query` with every `$n` outside literals, identifiers and comments replaced by the literal of `params[n-1]`. */
export function inlineParams(query: string, params: SqlParam[]): string {
  let out = '';
  for (const span of sqlSpans(query)) {
    const text = query.slice(span.start, span.end);
    if (span.kind !== 'param') {
      out += text;
      continue;
    }
    const index = Number(text.slice(1));
    if (index < 1 || index > params.length) {
      throw new ConfigError(`the query uses $${index} but params has ${params.length} value${params.length === 1 ? '' : 's'}`, { field: 'params' });
    }
    out += paramLiteral(params[index - 1]!);
  }
  return out;
}

/**
 * `query` without the `;` that end it, with any blanks and comments around them
 * (`SELECT 1; -- done` → `SELECT 1`): the query is wrapped in `COPY (…)`, where a `;` is an error.
 * A `;` inside a literal or a comment stays.
 */
export function withoutTrailingSemicolons(query: string): string {
  let cut = -1; // the first `;` after the last code
  for (const span of sqlSpans(query)) {
    if (span.kind === 'comment') continue;
    const tail = /[\s;]*$/.exec(span.kind === 'code' ? query.slice(span.start, span.end) : 'x')!; // its trailing blanks and `;`
    if (tail.index > 0) cut = -1;
    const semicolon = tail[0].indexOf(';');
    if (semicolon >= 0 && cut < 0) cut = span.start + tail.index + semicolon;
  }
  return cut < 0 ? query : query.slice(0, cut).trimEnd();
}

type SqlSpan = { kind: 'code' | 'literal' | 'comment' | 'param'; start: number; end: number };

/** The spans of `query`: literals (strings, quoted identifiers, dollar quotes), comments, `$n` placeholders and the code between. */
function* sqlSpans(query: string): Generator<SqlSpan> {
  let i = 0;
  const n = query.length;
  const span = (kind: SqlSpan['kind'], end: number): SqlSpan => {
    const s = { kind, start: i, end };
    i = end;
    return s;
  };
  while (i < n) {
    const c = query[i]!;
    const next = query[i + 1];
    if (c === "'" ) {
      // A standard string; an E'…' string (the E was copied already) lets a backslash escape a quote.
      const escapes = i > 0 && /[eE]/.test(query[i - 1]!) && !/[\w$]/.test(query[i - 2] ?? ' ');
      let j = i + 1;
      while (j < n) {
        if (escapes && query[j] === '\\') j += 2;
        else if (query[j] === "'" && query[j + 1] === "'") j += 2;
        else if (query[j] === "'") break;
        else j++;
      }
      yield span('literal', Math.min(j + 1, n));
    } else if (c === '"') {
      const end = query.indexOf('"', i + 1);
      yield span('literal', end < 0 ? n : end + 1);
      // A doubled quote inside an identifier is two identifiers back to back here: same result.
    } else if (c === '-' && next === '-') {
      const end = query.indexOf('\n', i);
      yield span('comment', end < 0 ? n : end + 1);
    } else if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      while (j < n) {
        if (query[j] === '/' && query[j + 1] === '*') {
          depth++;
          j += 2;
        } else if (query[j] === '*' && query[j + 1] === '/') {
          depth--;
          j += 2;
          if (!depth) break;
        } else j++;
      }
      yield span('comment', Math.min(j, n));
    } else if (c === '$') {
      const prev = i > 0 ? query[i - 1]! : ' ';
      const param = /^\$(\d+)/.exec(query.slice(i, i + 12));
      const tag = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(query.slice(i));
      if (/[\w$]/.test(prev)) {
        yield span('code', i + 1); // part of an identifier (a$1) or of a number
      } else if (param) {
        yield span('param', i + param[0].length);
      } else if (tag) {
        const end = query.indexOf(tag[0], i + tag[0].length);
        yield span('literal', end < 0 ? n : end + tag[0].length);
      } else yield span('code', i + 1);
    } else {
      // A run of ordinary characters at once.
      let j = i + 1;
      while (j < n && !`'"-/$`.includes(query[j]!)) j++;
      yield span('code', j);
    }
  }
}
