/**
 * `$n` parameters inlined for COPY (which takes no bind parameters): hostile strings stay one
 * literal, placeholders inside literals, identifiers, dollar quotes and comments are left alone,
 * and PostgreSQL itself reads each literal back as the exact value (checked against the server).
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { inlineParams, escapeLiteral, withoutTrailingSemicolons } from '../../../../src/connect/pg-params.js';
import { partQuery } from '../../../../src/connect/pg-partitions.js';
import { FerryError } from '../../../../src/errors.js';
import pg from 'pg';

const HOSTILE = ["it's", "'; DROP TABLE x; --", 'back\\slash', "\\'", '$$', '$1', '$tag$ x $tag$', '"quoted"', 'E\'\\x\'', '/* c */', '-- c', 'line\nbreak', 'ünï🦆', ''];

describe('withoutTrailingSemicolons', () => {
  const CASES: [string, string, string][] = [
    ['a semicolon', 'SELECT 1;', 'SELECT 1'],
    ['several, with blanks', 'SELECT 1 ; ;\n;', 'SELECT 1'],
    ['then a line comment', 'SELECT 1; -- done', 'SELECT 1'],
    ['then a block comment', 'SELECT 1 /* c */ ; /* ; */', 'SELECT 1 /* c */'],
    ['after a line comment', 'SELECT 1 -- c\n;', 'SELECT 1 -- c'],
    ['none', 'SELECT 1 -- c;', 'SELECT 1 -- c;'],
    ['inside a literal', "SELECT ';'", "SELECT ';'"],
    ['inside a dollar quote, then one', 'SELECT $$;$$;', 'SELECT $$;$$'],
    ['between statements: left to PostgreSQL', 'SELECT 1; SELECT 2;', 'SELECT 1; SELECT 2'],
  ];
  for (const [name, query, expected] of CASES) it(name, () => assert.equal(withoutTrailingSemicolons(query), expected));
});

describe('inlineParams', () => {
  const CASES: [string, string, (string | number | boolean | null)[], string][] = [
    ['a string', 'SELECT * FROM t WHERE a = $1', ["O'Brien"], "SELECT * FROM t WHERE a = 'O''Brien'"],
    ['a backslash: E string, as pg.escapeLiteral', 'SELECT $1', ['a\\b'], "SELECT  E'a\\\\b'"],
    ['numbers and booleans as pg sends them: untyped text', 'SELECT $1, $2, $3', [1.5, true, -7], "SELECT '1.5', 'true', '-7'"],
    ['null', 'SELECT $1', [null], 'SELECT NULL'],
    ['$10 is not $1 then 0', 'SELECT $1, $10', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'], "SELECT 'a', 'j'"],
    ['inside a string', "SELECT '$1', $1", ['x'], "SELECT '$1', 'x'"],
    ['inside an E string with an escaped quote', "SELECT E'\\'$1', $1", ['x'], "SELECT E'\\'$1', 'x'"],
    ['inside a quoted identifier', 'SELECT 1 AS "$1", $1', ['x'], 'SELECT 1 AS "$1", \'x\''],
    ['inside dollar quotes', 'SELECT $$ $1 $$, $q$ $1 $q$, $1', ['x'], "SELECT $$ $1 $$, $q$ $1 $q$, 'x'"],
    ['inside comments', 'SELECT $1 -- $1\n, /* $1 /* $1 */ */ 2', ['x'], "SELECT 'x' -- $1\n, /* $1 /* $1 */ */ 2"],
    ['part of an identifier', 'SELECT a$1 FROM t WHERE b = $1', ['x'], "SELECT a$1 FROM t WHERE b = 'x'"],
  ];
  for (const [name, query, params, expected] of CASES) it(name, () => assert.equal(inlineParams(query, params), expected));

  it('a placeholder without a value is a config error naming params', () => {
    assert.throws(() => inlineParams('SELECT $2', ['a']), (e: unknown) => e instanceof FerryError && e.code === 'CONFIG' && /\$2 but params has 1 value/.test(e.message));
  });

  it('PostgreSQL reads every hostile value back exactly, as one literal', async (t) => {
    const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: process.env.PGUSER ?? 'postgres', database: process.env.FERRY_PG_DATABASE ?? 'test' });
    const ok = await client.connect().then(() => true, () => false);
    if (!ok) return t.skip('no PostgreSQL on 127.0.0.1:5432');
    after(() => client.end());
    for (const standard of ['on', 'off']) {
      await client.query(`SET standard_conforming_strings = ${standard}`);
      const sql = inlineParams(`SELECT ${HOSTILE.map((_, i) => `$${i + 1}::text AS v${i}`).join(', ')}`, HOSTILE);
      const { rows } = await client.query(sql);
      assert.deepEqual(Object.values(rows[0]), HOSTILE, `standard_conforming_strings = ${standard}`);
    }
  });
});

describe('escapeLiteral', () => {
  it('is pg\'s', () => {
    for (const v of HOSTILE) assert.equal(escapeLiteral(v), new pg.Client().escapeLiteral(v));
  });
});

describe('partQuery', () => {
  it('wraps the query with the range of one part; the first takes the NULLs; hostile bounds stay literals', () => {
    assert.equal(partQuery('SELECT 1 AS id', 'id', { name: 'p1', hi: '10', nulls: true }), 'SELECT * FROM (\nSELECT 1 AS id\n) q WHERE (q."id" < \'10\') OR q."id" IS NULL');
    assert.equal(partQuery('SELECT 1 AS id', 'id', { name: 'p2', lo: '10', hi: '20' }), 'SELECT * FROM (\nSELECT 1 AS id\n) q WHERE q."id" >= \'10\' AND q."id" < \'20\'');
    assert.equal(partQuery('SELECT 1 AS "a""b"', 'a"b', { name: 'p3', lo: "x'y" }), 'SELECT * FROM (\nSELECT 1 AS "a""b"\n) q WHERE q."a""b" >= \'x\'\'y\'');
    assert.equal(partQuery('SELECT 1', 'id', { name: 'p1', nulls: true }), 'SELECT 1', 'one part: the query as it is');
  });
});
