/**
 * A lossless JSON reader. `JSON.parse` turns every number into a double, so 9007199254740993
 * becomes …992 and 0.12345678901234567890123 loses its tail; API records must keep every digit.
 * Here a number keeps its source text, and `compact` writes a value back with the same digits.
 *
 *   const doc = parseJsonText('{"data":[{"id":9007199254740993}]}');
 *   const records = nodeAt(doc, 'data');        // an array node
 *   compact(records)                            // '[{"id":9007199254740993}]'
 *   toPlain(nodeAt(doc, 'meta.next'))           // a plain JS value, for paginators
 */

export type JsonNode =
  | { kind: 'object'; entries: [string, JsonNode][] }
  | { kind: 'array'; items: JsonNode[] }
  /** `raw`: the string as written, quotes and escapes included (valid JSON text). */
  | { kind: 'string'; value: string; raw: string }
  | { kind: 'number'; text: string }
  | { kind: 'literal'; value: true | false | null };

/** Malformed JSON; `position` is the character offset where reading stopped. */
export class JsonSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at position ${position}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** Characters a string may hold without escaping (JSON forbids raw control characters, hence the range). */
// eslint-disable-next-line no-control-regex
const PLAIN = /[^"\\\u0000-\u001f]*/y;
const MAX_DEPTH = 512;

export function parseJsonText(text: string): JsonNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(i >= text.length ? 'Unexpected end of JSON input' : `${what} ${JSON.stringify(text[i])}`, i);
  };
  const skipSpace = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const readString = (): { value: string; raw: string } => {
    const start = i++;
    let escaped = false;
    for (;;) {
      PLAIN.lastIndex = i;
      PLAIN.test(text); // skips ordinary characters in one step
      i = PLAIN.lastIndex;
      if (i >= text.length) fail('Unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break; // "
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      fail('Bad control character in string literal:');
    }
    const raw = text.slice(start, ++i);
    if (!escaped) return { value: raw.slice(1, -1), raw };
    try {
      return { value: JSON.parse(raw) as string, raw };
    } catch {
      throw new JsonSyntaxError('Bad escape in string literal', start);
    }
  };
  const expect = (word: string) => {
    if (text.startsWith(word, i)) i += word.length;
    else fail('Unexpected token');
  };
  const readValue = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError(`nested deeper than ${MAX_DEPTH} levels`, i);
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      const entries: [string, JsonNode][] = [];
      skipSpace();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', entries };
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail('Expected a property name, found');
        const key = readString().value;
        skipSpace();
        if (text[i] !== ':') fail('Expected \':\' after a property name, found');
        i++;
        entries.push([key, readValue(depth + 1)]);
        skipSpace();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return { kind: 'object', entries };
        } else fail('Expected \',\' or \'}\' after a property value, found');
      }
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return { kind: 'array', items };
      }
      for (;;) {
        items.push(readValue(depth + 1));
        skipSpace();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return { kind: 'array', items };
        } else fail('Expected \',\' or \']\' after an array element, found');
      }
    }
    if (c === '"') return { kind: 'string', ...readString() };
    if (c === 't') return expect('true'), { kind: 'literal', value: true };
    if (c === 'f') return expect('false'), { kind: 'literal', value: false };
    if (c === 'n') return expect('null'), { kind: 'literal', value: null };
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail('Unexpected token');
    i += m[0].length;
    return { kind: 'number', text: m[0] };
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1; // a byte-order mark is not part of the document
  const value = readValue(0);
  skipSpace();
  if (i < text.length) fail('Unexpected non-whitespace character after JSON:');
  return value;
}

/** The value at a dotted path such as `data.items` (array indexes as numbers); an empty path is the value itself. */
export function nodeAt(node: JsonNode, path: string | undefined): JsonNode | undefined {
  if (!path) return node;
  let cur: JsonNode | undefined = node;
  for (const part of path.split('.')) {
    if (cur?.kind === 'object') cur = findLast(cur.entries, part);
    else if (cur?.kind === 'array' && /^\d+$/.test(part)) cur = cur.items[Number(part)];
    else return undefined;
  }
  return cur;
}

/** Duplicate keys: the last one wins, as with JSON.parse. */
function findLast(entries: [string, JsonNode][], key: string): JsonNode | undefined {
  for (let k = entries.length - 1; k >= 0; k--) if (entries[k]![0] === key) return entries[k]![1];
  return undefined;
}

/** Compact JSON text of a node, every number and string exactly as it was written. */
export function compact(node: JsonNode): string {
  switch (node.kind) {
    case 'object': return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${compact(v)}`).join(',')}}`;
    case 'array': return `[${node.items.map(compact).join(',')}]`;
    case 'string': return node.raw;
    case 'number': return node.text;
    case 'literal': return String(node.value);
  }
}

/**
 * A plain JS value (for paginators reading a cursor or a total). An integer beyond 2^53 stays its
 * text, so a numeric cursor is sent back with every digit.
 */
export function toPlain(node: JsonNode | undefined): unknown {
  if (!node) return undefined;
  switch (node.kind) {
    case 'object': return Object.fromEntries(node.entries.map(([k, v]) => [k, toPlain(v)]));
    case 'array': return node.items.map(toPlain);
    case 'string': return node.value;
    case 'literal': return node.value;
    case 'number': {
      const n = Number(node.text);
      return /^-?\d+$/.test(node.text) && !Number.isSafeInteger(n) ? node.text : n;
    }
  }
}
