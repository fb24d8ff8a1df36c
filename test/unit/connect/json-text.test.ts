/**
 * The lossless JSON reader and the record writer: table-driven lists of documents, of malformed
 * input with the position named, and of column shapes with the type each gets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonText, compact, nodeAt, toPlain, JsonSyntaxError, type JsonNode } from '../../../src/connect/json-text.js';
import { recordsToNdjson, columnType, mergeStats, NotObjectError, type StatsMap } from '../../../src/connect/json-records.js';

describe('parseJsonText + compact: every digit and string as written', () => {
  const CASES: [string, string][] = [
    ['9007199254740993', '9007199254740993'],
    ['-0.12345678901234567890123e-7', '-0.12345678901234567890123e-7'],
    [' { "a" : [ 1 , 2.50 , true , false , null ] } ', '{"a":[1,2.50,true,false,null]}'],
    ['{"k\\u00f6ln": "K\\u00f6ln \\"q\\"", "e": ""}', '{"köln":"K\\u00f6ln \\"q\\"","e":""}'],
    ['[]', '[]'],
    ['{}', '{}'],
    ['\ufeff[1]', '[1]'],
    ['{"a":1,"a":2}', '{"a":1,"a":2}'],
  ];
  for (const [text, out] of CASES) it(JSON.stringify(text), () => assert.equal(compact(parseJsonText(text)), out));
});

describe('parseJsonText: malformed input names the position', () => {
  const CASES: [string, string][] = [
    ['', 'Unexpected end of JSON input at position 0'],
    ['<html>', 'Unexpected token "<" at position 0'],
    ['{"a":1,}', 'Expected a property name, found "}" at position 7'],
    ['[1 2]', 'Expected \',\' or \']\' after an array element, found "2" at position 3'],
    ['{"a" 1}', 'Expected \':\' after a property name, found "1" at position 5'],
    ['"abc', 'Unexpected end of JSON input at position 4'],
    ['"a\nb"', 'Bad control character in string literal: "\\n" at position 2'],
    ['"\\x"', 'Bad escape in string literal at position 0'],
    ['01', 'Unexpected non-whitespace character after JSON: "1" at position 1'],
    ['[1] x', 'Unexpected non-whitespace character after JSON: "x" at position 4'],
    ['tru', 'Unexpected token "t" at position 0'],
    ['1.', 'Unexpected non-whitespace character after JSON: "." at position 1'],
    ['[' .repeat(600), 'nested deeper than 512 levels at position 513'],
  ];
  for (const [text, message] of CASES) {
    it(JSON.stringify(text.slice(0, 20)), () => {
      assert.throws(() => parseJsonText(text), (err: unknown) => err instanceof JsonSyntaxError && err.message === message);
    });
  }
});

describe('nodeAt and toPlain', () => {
  const doc = parseJsonText('{"data":{"items":[{"id":1}],"next":9007199254740993,"n":12,"f":0.5,"dup":1,"dup":2},"list":[10,20]}');
  it('reads dotted paths, array indexes, the last of duplicate keys', () => {
    assert.deepEqual(toPlain(nodeAt(doc, 'data.items')), [{ id: 1 }]);
    assert.equal(toPlain(nodeAt(doc, 'list.1')), 20);
    assert.equal(toPlain(nodeAt(doc, 'data.dup')), 2);
    assert.equal(nodeAt(doc, 'data.missing.deeper'), undefined);
    assert.equal(nodeAt(doc, 'list.x'), undefined);
    assert.equal(nodeAt(doc, ''), doc);
  });
  it('keeps an integer beyond 2^53 as its text (a cursor is sent back exactly)', () => {
    assert.equal(toPlain(nodeAt(doc, 'data.next')), '9007199254740993');
    assert.equal(toPlain(nodeAt(doc, 'data.n')), 12);
    assert.equal(toPlain(nodeAt(doc, 'data.f')), 0.5);
  });
});

const array = (text: string) => parseJsonText(text) as JsonNode & { kind: 'array' };

describe('recordsToNdjson', () => {
  it('numbers as strings of their text, nested values as strings of their JSON text', () => {
    const stats: StatsMap = {};
    const lines = recordsToNdjson(array('[{"id": 9007199254740993, "a": {"b": [1.10]}, "s": "x\\"y", "t": true, "z": null}]'), 'json', stats);
    assert.deepEqual(lines, ['{"id":"9007199254740993","a":"{\\"b\\":[1.10]}","s":"x\\"y","t":true,"z":null}']);
    assert.deepEqual(Object.keys(stats), ['id', 'a', 's', 't', 'z']);
  });

  it('flatten: objects become parent_child columns, arrays stay JSON, a duplicate key keeps the last value', () => {
    const lines = recordsToNdjson(array('[{"a": {"b": {"c": 1}, "d": [2]}, "e": 1, "e": 2}]'), 'flatten', {});
    assert.deepEqual(lines, ['{"a_b_c":"1","a_d":"[2]","e":"2"}']);
  });

  it('a record that is not an object is refused with its index', () => {
    assert.throws(() => recordsToNdjson(array('[{"a":1}, 2]'), 'json', {}), (err: unknown) => err instanceof NotObjectError && err.message === 'record 2 is not a JSON object');
  });
});

describe('columnType: what a column held decides its type', () => {
  const typeOf = (...values: string[]) => {
    const stats: StatsMap = {};
    recordsToNdjson(array(`[${values.map((v) => `{"c": ${v}}`).join(',')}]`), 'json', stats);
    return columnType(stats.c!);
  };
  const CASES: [string[], string | undefined][] = [
    [['1', '-2', 'null'], 'BIGINT'],
    [['9223372036854775807', '-9223372036854775808'], 'BIGINT'],
    [['9223372036854775808'], 'DECIMAL(38,0)'],
    [['-9223372036854775809'], 'DECIMAL(38,0)'],
    [['1'.repeat(39)], 'VARCHAR'],
    [['1.5', '439.33', '2'], 'DOUBLE'],
    [['0.123456789012345'], 'DOUBLE'],
    [['0.1234567890123456'], 'DECIMAL(16,16)'],
    [['12345.6789012345678', '1.5'], 'DECIMAL(18,13)'],
    [['1.10000000000000000000'], 'DOUBLE'],
    [['1e5', '2'], 'DOUBLE'],
    [[`0.${'1'.repeat(39)}`], 'VARCHAR'],
    [['true', 'false'], 'BOOLEAN'],
    [['{"a":1}', '[1]'], 'JSON'],
    [['"x"', '"2024-01-05"'], undefined],
    [['"x"', '1'], 'VARCHAR'],
    [['null'], 'VARCHAR'],
  ];
  for (const [values, type] of CASES) it(`${values.join(', ').slice(0, 60)} → ${type ?? "DuckDB's detection"}`, () => assert.equal(typeOf(...values), type));

  it('stats of pages merge', () => {
    const a: StatsMap = {};
    const b: StatsMap = {};
    recordsToNdjson(array('[{"c": 1}]'), 'json', a);
    recordsToNdjson(array('[{"c": 0.1234567890123456789}]'), 'json', b);
    assert.equal(columnType(mergeStats(a, b).c!), 'DECIMAL(20,19)');
  });
});
