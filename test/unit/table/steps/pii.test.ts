/**
 * The pii step against a real (in-process) DuckDB s.engine: exact outputs of every method, keys from
 * the environment, rotation, tampering, NULL vs empty text, and secrets kept out of every message.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { useStepEngine } from '../../../support/step-engine.js';
import { stepSchema } from '../../../../src/table/steps/index.js';
import { maskSecrets } from '../../../../src/pipeline/interpolate.js';
import { loadPipeline, SpecError } from '../../../../src/pipeline/load.js';
import { checkSteps } from '../../../../activities/slice.js';

const HASH_KEY = 'test-hash-key-0123456789';
const K2024 = randomBytes(32).toString('base64');
const K2025 = randomBytes(32).toString('hex');
const ENV = { PII_TEST_HASH: HASH_KEY, PII_TEST_K2024: K2024, PII_TEST_K2025: K2025 };

const s = useStepEngine('ferry-pii-test-');
const { table, step, stepFails, rows, types } = s;

before(() => {
  Object.assign(process.env, ENV);
});
after(() => {
  for (const k of Object.keys(ENV)) delete process.env[k];
});

const hmac = (v: string, key = HASH_KEY): string => createHmac('sha256', key).update(v, 'utf8').digest('hex');
/** No key, and no text derived from one, in what a user or the history sees. */
function assertNoSecrets(text: string): void {
  for (const secret of [HASH_KEY, K2024, K2025]) assert.ok(!text.includes(secret), `a key leaked into: ${text}`);
}

describe('pii: hash', () => {
  before(() => table('people', 'id, email, age', "(1, 'ana@example.com', 42), (2, NULL, NULL), (3, '', 7), (4, ' Ana@Example.com ', 42)"));

  it('is HMAC-SHA256 in hex: the known answer, NULL stays NULL, empty text is hashed', async () => {
    await step({ type: 'pii', input: 'people', output: 'p_hash', hash_key: '${env:PII_TEST_HASH}', columns: { email: 'hash', age: 'hash' } });
    // Computed with `openssl dgst -sha256 -hmac test-hash-key-0123456789`.
    assert.equal(hmac('ana@example.com'), 'd4b80c982b9f1cd87febaf8cf6f51c0bdd36e5ff3debebca8984331cb2bd108f');
    assert.deepEqual(await rows('SELECT * FROM p_hash ORDER BY id'), [
      { id: 1, email: 'd4b80c982b9f1cd87febaf8cf6f51c0bdd36e5ff3debebca8984331cb2bd108f', age: '21198fc28a45f872117d51d84a81405452d79353bd3132f8aeee5b481f9c7c74' },
      { id: 2, email: null, age: null },
      { id: 3, email: '722906e306a2d29b99a4cdba2a730fa991b841bb3827a3ada4341f73fcbd62a2', age: hmac('7') },
      { id: 4, email: hmac(' Ana@Example.com '), age: hmac('42') },
    ]);
    assert.deepEqual(await types('p_hash'), ['id INTEGER', 'email VARCHAR', 'age VARCHAR']);
  });

  it('normalize trims and lower-cases first, so differently typed addresses join', async () => {
    await step({ type: 'pii', input: 'people', output: 'p_norm', hash_key: '${env:PII_TEST_HASH}', columns: { email: { hash: { normalize: true } } } });
    assert.deepEqual((await rows('SELECT email FROM p_norm WHERE id IN (1, 4) ORDER BY id')).map((r) => r.email), [hmac('ana@example.com'), hmac('ana@example.com')]);
  });

  it('with both key and hash_key, hash uses hash_key (key is the encryption key)', async () => {
    await step({ type: 'pii', input: 'people', output: 'p_both', key: '${env:PII_TEST_K2024}', hash_key: '${env:PII_TEST_HASH}', columns: { email: 'hash' } });
    assert.equal((await rows('SELECT email FROM p_both WHERE id = 1'))[0]!.email, hmac('ana@example.com'));
  });

  it('hashes with long keys and multi-byte text exactly (64-byte key, UTF-8)', async () => {
    const key = 'ü'.repeat(32); // 64 bytes
    process.env.PII_TEST_LONG = key;
    await table('utf', 'name', "('Zoë Ñúñez 😀')");
    await step({ type: 'pii', input: 'utf', hash_key: '${env:PII_TEST_LONG}', columns: { name: 'hash' } });
    assert.deepEqual(await rows('SELECT name FROM utf'), [{ name: hmac('Zoë Ñúñez 😀', key) }]);
    delete process.env.PII_TEST_LONG;
  });
});

describe('pii: drop and mask', () => {
  before(() => table('contacts', 'id, phone, ssn, code', "(1, '+44 20 7946 0958', '123-45-6789', 12345), (2, '123', 'x', 7), (3, '', NULL, NULL), (4, NULL, 'y', 1234)"));

  it('drop removes the column; mask keeps the last N and masks the rest, shorter values whole', async () => {
    await step({ type: 'pii', input: 'contacts', output: 'c1', columns: { ssn: 'drop', phone: { mask: { keep_last: 4 } }, code: 'mask' } });
    assert.deepEqual(await types('c1'), ['id INTEGER', 'phone VARCHAR', 'code VARCHAR']);
    assert.deepEqual(await rows('SELECT * FROM c1 ORDER BY id'), [
      { id: 1, phone: '************0958', code: '*2345' },
      { id: 2, phone: '***', code: '*' },
      { id: 3, phone: '', code: null },
      { id: 4, phone: null, code: '****' },
    ]);
  });

  it('mask takes another character and keep_last 0', async () => {
    await step({ type: 'pii', input: 'contacts', output: 'c2', columns: { phone: { mask: { keep_last: 0, char: '#' } } } });
    assert.deepEqual((await rows('SELECT phone FROM c2 ORDER BY id')).map((r) => r.phone), ['################', '###', '', null]);
  });

  it('refuses to drop every column', async () => {
    await table('only', 'ssn', "('1')");
    const err = await stepFails({ type: 'pii', input: 'only', columns: { ssn: 'drop' } });
    assert.equal(err.code, 'CONFIG');
    assert.match(err.message, /every column of only would be dropped/);
  });

  it('names an unknown column with the real ones', async () => {
    const err = await stepFails({ type: 'pii', input: 'contacts', columns: { mail: 'drop' } });
    assert.equal(err.message, "unknown column 'mail' in contacts; it has: id, phone, ssn, code");
  });
});

describe('pii: generalize', () => {
  before(async () => {
    await s.engine.run(`CREATE OR REPLACE TABLE emp AS SELECT * FROM (VALUES
      (1, DATE '1984-07-23', TIMESTAMPTZ '2024-03-10 23:30:00+00', 54321, 54321.5::DOUBLE),
      (2, DATE '1990-01-01', TIMESTAMPTZ '2024-12-31 23:59:59+00', -1, -0.5::DOUBLE),
      (3, NULL, NULL, NULL, NULL),
      (4, DATE '2000-12-31', TIMESTAMPTZ '2025-01-01 00:00:00+00', 10000, 9999.99::DOUBLE)) t(id, birth, seen, salary, score)`);
  });

  it('dates to the first of the month or year, as DATE', async () => {
    await step({ type: 'pii', input: 'emp', output: 'g1', columns: { birth: { generalize: 'month' }, seen: { generalize: 'year' } } });
    assert.deepEqual(await types('g1'), ['id INTEGER', 'birth DATE', 'seen DATE', 'salary INTEGER', 'score DOUBLE']);
    const got = (await rows('SELECT birth, seen FROM g1 ORDER BY id')).map((r) => [r.birth, r.seen].map((d) => (d instanceof Date ? d.toISOString().slice(0, 10) : d)));
    assert.deepEqual(got, [['1984-07-01', '2024-01-01'], ['1990-01-01', '2024-01-01'], [null, null], ['2000-12-01', '2025-01-01']]);
  });

  it('numbers to a range text, or its lower bound; negatives fall in the lower bucket', async () => {
    await step({ type: 'pii', input: 'emp', output: 'g2', columns: { salary: { generalize: { bucket: 10000 } }, score: { generalize: { bucket: 0.5, as: 'lower' } } } });
    assert.deepEqual(await types('g2'), ['id INTEGER', 'birth DATE', 'seen TIMESTAMP WITH TIME ZONE', 'salary VARCHAR', 'score DOUBLE']);
    assert.deepEqual(await rows('SELECT salary, score FROM g2 ORDER BY id'), [
      { salary: '[50000, 60000)', score: 54321.5 },
      { salary: '[-10000, 0)', score: -0.5 },
      { salary: null, score: null },
      { salary: '[10000, 20000)', score: 9999.5 },
    ]);
    await step({ type: 'pii', input: 'emp', output: 'g3', columns: { salary: { generalize: { bucket: 10000, as: 'lower' } } } });
    assert.deepEqual((await rows('SELECT salary FROM g3 ORDER BY id')).map((r) => r.salary), [50000, -10000, null, 10000]);
  });

  it('a type that cannot be generalized is a CONFIG error naming the column', async () => {
    await table('txt', 'd, n', "('2024-01-05', 'x')");
    const err = await stepFails({ type: 'pii', input: 'txt', columns: { d: { generalize: 'month' } } });
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'generalize month needs a DATE or TIMESTAMP column, d is VARCHAR (cast it first with a cast step)');
    assert.equal(err.context.field, 'standardize[0] (pii).columns.d');
    const err2 = await stepFails({ type: 'pii', input: 'txt', columns: { n: { generalize: { bucket: 5 } } } });
    assert.match(err2.message, /generalize bucket needs a numeric column, n is VARCHAR/);
  });
});

describe('pii: encrypt and decrypt', () => {
  const keys = { k2024: '${env:PII_TEST_K2024}', k2025: '${env:PII_TEST_K2025}' };
  before(() => table('notes', 'id, note, n', "(1, 'call after 6pm', 12), (2, NULL, NULL), (3, '', 0), (4, 'Zoë 😀', 5)"));

  it('round-trips exactly; NULL stays NULL, empty text stays empty text; a fresh IV per value', async () => {
    await step({ type: 'pii', input: 'notes', output: 'enc', keys, encrypt_with: 'k2025', columns: { note: 'encrypt', n: 'encrypt' } });
    const enc = await rows('SELECT * FROM enc ORDER BY id');
    assert.equal(enc[1]!.note, null);
    for (const r of [enc[0]!, enc[2]!, enc[3]!]) assert.match(String(r.note), /^ferry:v1:k2025:[A-Za-z0-9+/]+=*$/);
    assert.ok(!JSON.stringify(enc).includes('call after'), 'the plain text is gone');
    // The same text twice gives two different values (random IV).
    await step({ type: 'pii', input: 'notes', output: 'enc_again', keys, encrypt_with: 'k2025', columns: { note: 'encrypt' } });
    assert.notEqual((await rows('SELECT note FROM enc_again WHERE id = 1'))[0]!.note, enc[0]!.note);

    await step({ type: 'pii', input: 'enc', output: 'dec', keys, columns: { note: 'decrypt', n: 'decrypt' } });
    assert.deepEqual(await rows('SELECT * FROM dec ORDER BY id'), [
      { id: 1, note: 'call after 6pm', n: '12' },
      { id: 2, note: null, n: null },
      { id: 3, note: '', n: '0' },
      { id: 4, note: 'Zoë 😀', n: '5' },
    ]);
  });

  it('no two values share an IV, even the same text in one query', async () => {
    await s.engine.run("CREATE OR REPLACE TABLE same AS SELECT 'same text' AS note FROM range(3)");
    await step({ type: 'pii', input: 'same', output: 'same_enc', keys, encrypt_with: 'k2025', columns: { note: 'encrypt' } });
    const ivs = (await rows('SELECT note FROM same_enc')).map((r) => Buffer.from(String(r.note).slice('ferry:v1:k2025:'.length), 'base64').subarray(0, 12).toString('hex'));
    assert.equal(new Set(ivs).size, 3, `IVs: ${ivs.join(', ')}`);
  });

  it('rotation: a value encrypted under k2024 decrypts after encrypt_with moved to k2025', async () => {
    await step({ type: 'pii', input: 'notes', output: 'old', keys: { k2024: keys.k2024 }, columns: { note: 'encrypt' } });
    assert.match(String((await rows('SELECT note FROM old WHERE id = 1'))[0]!.note), /^ferry:v1:k2024:/);
    await step({ type: 'pii', input: 'notes', output: 'new', keys, encrypt_with: 'k2025', columns: { note: 'encrypt' } });
    await s.engine.run('CREATE OR REPLACE TABLE mixed AS SELECT * FROM old WHERE id <= 2 UNION ALL SELECT * FROM new WHERE id > 2');
    await step({ type: 'pii', input: 'mixed', output: 'mixed_dec', keys, encrypt_with: 'k2025', columns: { note: 'decrypt' } });
    assert.deepEqual((await rows('SELECT note FROM mixed_dec ORDER BY id')).map((r) => r.note), ['call after 6pm', null, '', 'Zoë 😀']);
  });

  it('one key: `key` is the key with id default', async () => {
    await step({ type: 'pii', input: 'notes', output: 'one', key: '${env:PII_TEST_K2024}', columns: { note: 'encrypt' } });
    assert.match(String((await rows('SELECT note FROM one WHERE id = 1'))[0]!.note), /^ferry:v1:default:/);
    await step({ type: 'pii', input: 'one', key: '${env:PII_TEST_K2024}', columns: { note: 'decrypt' } });
    assert.equal((await rows('SELECT note FROM one WHERE id = 1'))[0]!.note, 'call after 6pm');
  });

  it('a tampered value, a wrong key, an unknown key id, plain text: DATA errors naming the column and row, no key', async () => {
    await step({ type: 'pii', input: 'notes', output: 'tam', keys, encrypt_with: 'k2025', columns: { note: 'encrypt' } });
    // Flip one bit of the ciphertext of row 4.
    const [r] = await rows('SELECT note FROM tam WHERE id = 4');
    const raw = Buffer.from(String(r!.note).slice('ferry:v1:k2025:'.length), 'base64');
    raw[14] = raw[14]! ^ 1;
    await s.engine.run(`UPDATE tam SET note = 'ferry:v1:k2025:${raw.toString('base64')}' WHERE id = 4`);
    const err = await stepFails({ type: 'pii', input: 'tam', output: 'tam_dec', keys, columns: { note: 'decrypt' } });
    assert.equal(err.code, 'DATA');
    assert.equal(err.message, "cannot decrypt column note, row 4: the value does not authenticate under key 'k2025': wrong key, or the value was altered");
    assert.equal(err.context.field, 'standardize[0] (pii).columns.note');
    assertNoSecrets(`${err.message} ${JSON.stringify(err.context)} ${String(err.stack)}`);

    process.env.PII_TEST_WRONG = randomBytes(32).toString('hex');
    await step({ type: 'pii', input: 'notes', output: 'w', keys: { k2025: keys.k2025 }, columns: { note: 'encrypt' } });
    const wrong = await stepFails({ type: 'pii', input: 'w', output: 'w2', keys: { k2025: '${env:PII_TEST_WRONG}' }, columns: { note: 'decrypt' } });
    assert.equal(wrong.message, "cannot decrypt column note, row 1: the value does not authenticate under key 'k2025': wrong key, or the value was altered");
    assert.ok(!wrong.message.includes(process.env.PII_TEST_WRONG));

    const unknown = await stepFails({ type: 'pii', input: 'w', output: 'w3', keys: { k2024: keys.k2024 }, columns: { note: 'decrypt' } });
    assert.equal(unknown.message, "cannot decrypt column note, row 1: encrypted with key 'k2025', which the step does not list (it has: k2024)");

    const plain = await stepFails({ type: 'pii', input: 'notes', output: 'w4', keys, columns: { note: 'decrypt' } });
    assert.equal(plain.message, 'cannot decrypt column note, row 1: not an encrypted value (expected ferry:v1:<key id>:…)');

    await table('short', 'note', "('ferry:v1:k2025:AAAAAAAA')");
    const short = await stepFails({ type: 'pii', input: 'short', output: 'w5', keys, columns: { note: 'decrypt' } });
    assert.equal(short.message, 'cannot decrypt column note, row 1: the encrypted value is truncated');
    delete process.env.PII_TEST_WRONG;
  });
});

describe('pii: keys are secrets', () => {
  afterEach(() => {
    delete process.env.PII_TEST_SHORT;
  });

  it('a missing variable is a CONFIG error naming the step and field', async () => {
    await table('s1', 'email', "('a@b.c')");
    const err = await stepFails({ type: 'pii', input: 's1', hash_key: '${env:PII_TEST_UNSET}', columns: { email: 'hash' } });
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'environment variable PII_TEST_UNSET is not set on the worker (referenced by ${env:PII_TEST_UNSET})');
    assert.equal(err.context.field, 'standardize[0] (pii).hash_key');
    const err2 = await stepFails({ type: 'pii', input: 's1', keys: { k1: '${env:PII_TEST_K2024}', k2: '${env:PII_TEST_UNSET}' }, encrypt_with: 'k1', columns: { email: 'encrypt' } });
    assert.equal(err2.context.field, 'standardize[0] (pii).keys.k2');
  });

  it('a key of the wrong shape is refused by its length only, and resolved keys are masked in messages', async () => {
    await table('s2', 'email', "('a@b.c')");
    process.env.PII_TEST_SHORT = 'not-a-32-byte-key!';
    const err = await stepFails({ type: 'pii', input: 's2', key: '${env:PII_TEST_SHORT}', columns: { email: 'encrypt' } });
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, '${env:PII_TEST_SHORT}: an encryption key must be 32 bytes written as 64 hex digits or in base64 (openssl rand -base64 32), got 18 characters');
    assert.equal(err.context.field, 'standardize[0] (pii).key');
    assertNoSecrets(err.message);
    process.env.PII_TEST_SHORT = 'short-key';
    const short = await stepFails({ type: 'pii', input: 's2', hash_key: '${env:PII_TEST_SHORT}', columns: { email: 'hash' } });
    assert.equal(short.message, '${env:PII_TEST_SHORT}: a hash key needs at least 16 characters, got 9');
    // Every key a step resolved is registered: a message that happened to carry one is masked.
    assert.equal(maskSecrets(`x ${K2024} ${K2025} ${HASH_KEY} y`), 'x *** *** *** y');
  });

  it('the schema refuses a literal key, a :-default, an unknown encrypt_with, and methods without keys', () => {
    const issues = (raw: unknown) => {
      const r = stepSchema.safeParse(raw);
      assert.ok(!r.success, 'expected invalid');
      return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    const literal = issues({ type: 'pii', input: 'a', hash_key: HASH_KEY, columns: { e: 'hash' } });
    assert.ok(literal.some((m) => /^hash_key: must be a \$\{env:NAME\} reference/.test(m)), literal.join('\n'));
    assertNoSecrets(literal.join('\n'));
    assert.deepEqual(issues({ type: 'pii', input: 'a', hash_key: '${env:K:-fallbackfallback}', columns: { e: 'hash' } }),
      ['hash_key: a key reference cannot have a :-default (the default would be the key, in the file)']);
    assert.deepEqual(issues({ type: 'pii', input: 'a', keys: { a: '${env:A}', b: '${env:B}' }, encrypt_with: 'c', columns: { e: 'encrypt' } }),
      ["encrypt_with: unknown key id 'c'; keys has: a, b"]);
    assert.deepEqual(issues({ type: 'pii', input: 'a', keys: { a: '${env:A}', b: '${env:B}' }, columns: { e: 'encrypt' } }),
      ['encrypt_with: with several keys, say which one encrypt uses: a, b']);
    assert.deepEqual(issues({ type: 'pii', input: 'a', columns: { e: 'hash', f: 'decrypt' } }),
      ['keys: encrypt and decrypt need key or keys', 'hash_key: hash needs hash_key (or key)']);
    assert.deepEqual(issues({ type: 'pii', input: 'a', key: '${env:A}', keys: { b: '${env:B}' }, columns: { e: 'encrypt' } }),
      ['keys: use key (one key) or keys (several), not both']);
  });

  it('activities accept ${env:…} exactly in the pii keys, and nowhere else in a step', () => {
    const ok = checkSteps([{ type: 'pii', input: 'a', keys: { k: '${env:A}' }, hash_key: '${env:H}', columns: { e: 'encrypt', f: 'hash' } }], { stage: 'standardize' });
    assert.equal(ok.length, 1);
    assert.throws(() => checkSteps([{ type: 'filter', input: 'a', where: "x = '${env:A}'" }], { stage: 'standardize' }),
      /steps\.0\.where: \$\{env:A\} is resolved only in connections\.yaml or a pii step's keys/);
  });
});

describe('pii: validate', () => {
  const source = 'name: p\nsources:\n  people:\n    type: file\n    path: people.csv\n';
  const load = async (yaml: string) => {
    const file = join(s.dir, `p-${randomBytes(4).toString('hex')}.yaml`);
    await writeFile(file, yaml);
    await writeFile(join(s.dir, 'connections.yaml'), '{}\n');
    return loadPipeline(file, { connectionsFile: join(s.dir, 'connections.yaml') });
  };
  const issuesOf = async (yaml: string) => {
    try {
      await load(yaml);
    } catch (err) {
      assert.ok(err instanceof SpecError);
      return err.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`);
    }
    assert.fail('expected the pipeline to be invalid');
  };

  it('a pipeline with keys as ${env:…} is valid', async () => {
    const loaded = await load(`${source}standardize:\n  - type: pii\n    input: people\n    hash_key: \${env:PII_HASH}\n    keys: { k2025: '\${env:K2025}' }\n    columns: { email: hash, notes: encrypt, ssn: drop }\n`);
    assert.deepEqual(loaded.spec.standardize[0], { type: 'pii', input: 'people', hash_key: '${env:PII_HASH}', keys: { k2025: '${env:K2025}' }, columns: { email: 'hash', notes: 'encrypt', ssn: 'drop' } });
  });

  it('a literal key is refused at its line, without showing it; ${env:…} elsewhere in the step too', async () => {
    const got = await issuesOf(`${source}standardize:\n  - type: pii\n    input: people\n    hash_key: ${HASH_KEY}\n    description: \${env:X}\n    columns: { email: hash }\n`);
    assert.deepEqual(got, [
      "9:15 standardize[0].hash_key: must be a ${env:NAME} reference: secrets never live in config files (set NAME in the worker's environment)",
      "10:18 standardize[0].description: ${env:X} is not allowed here: secrets belong in connections.yaml as ${env:…}, used through a named connection (in a pipeline file only the pii step's keys take one)",
    ]);
    assertNoSecrets(got.join('\n'));
  });
});
