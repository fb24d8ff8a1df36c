/**
 * The `pii` step: one protection method per column, so personal data never reaches a sink or an
 * analyst in the clear. Keys are secrets (`${env:…}`, resolved on the worker, masked everywhere).
 *
 *   - type: pii
 *     input: customers
 *     keys: { k2024: '${env:PII_KEY_2024}', k2025: '${env:PII_KEY_2025}' }
 *     encrypt_with: k2025
 *     hash_key: '${env:PII_HASH_KEY}'
 *     columns:
 *       email: hash                                   # HMAC-SHA256 hex: joins still work across runs
 *       phone: { mask: { keep_last: 4 } }             # ********1234
 *       ssn: drop
 *       birth_date: { generalize: month }             # DATE 1984-07-01
 *       salary: { generalize: { bucket: 10000 } }     # '[50000, 60000)'
 *       notes: encrypt                                # ferry:v1:k2025:…
 *       card: decrypt                                 # by the key id stored in the value
 */
import { z } from 'zod';
import { ConfigError, DataError } from '../../errors.js';
import { secret } from '../../pipeline/secrets.js';
import { resolveEnv, registerSecret } from '../../pipeline/interpolate.js';
import { ident, lit } from '../engine.js';
import { aesKey, hashKey, hmacParams, hmacSql, registerCipher, KeyFormatError, type Cipher } from '../pii-crypto.js';
import { oneInput, readsInput, writesOutput, requireColumns, materialize, from, type Step, type StepContext } from './step.js';

const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'expected a key id of letters, digits, _ and - (at most 40)');

const method = z.union([
  z.enum(['drop', 'hash', 'mask', 'encrypt', 'decrypt']),
  z.strictObject({
    hash: z.strictObject({ normalize: z.boolean().default(false).describe('trim and lower-case before hashing (e-mail addresses typed in different cases join)') }),
  }),
  z.strictObject({
    mask: z.strictObject({
      keep_last: z.number().int().min(0).default(4).describe('characters left visible at the end'),
      char: z.string().length(1).default('*'),
    }),
  }),
  z.strictObject({
    generalize: z.union([
      z.enum(['month', 'year']).describe('a date or timestamp becomes the DATE of the first day of its month or year'),
      z.strictObject({
        bucket: z.number().positive().describe('a number becomes the range of this width it falls in'),
        as: z.enum(['range', 'lower']).default('range').describe("range: text '[50000, 60000)'; lower: the number 50000"),
      }),
    ]),
  }),
]).describe('drop | hash | mask | encrypt | decrypt | { hash: { normalize } } | { mask: { keep_last, char } } | { generalize: month | year | { bucket, as } }');
export type PiiMethod = z.infer<typeof method>;

const piiSchema = z.strictObject({
  type: z.literal('pii'), ...oneInput,
  columns: z.record(z.string(), method).refine((c) => Object.keys(c).length > 0, 'name at least one column').describe('column → method'),
  key: secret('the key of hash and encrypt/decrypt when there is one (key id `default`)').optional(),
  keys: z.record(keyId, secret('an encryption key (32 bytes, hex or base64)')).optional().describe('key id → key: several keys let them rotate'),
  encrypt_with: keyId.optional().describe('the key id encrypt uses (needed with several keys)'),
  hash_key: secret('the HMAC key of hash (default: key)').optional(),
}).superRefine((s, ctx) => {
  const kinds = new Set(Object.values(s.columns).map(kindOf));
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (s.key && s.keys) issue('keys', 'use key (one key) or keys (several), not both');
  const ids = keyIds(s);
  if ((kinds.has('encrypt') || kinds.has('decrypt')) && ids.length === 0) issue('keys', 'encrypt and decrypt need key or keys');
  if (kinds.has('hash') && !s.hash_key && !s.key) issue('hash_key', 'hash needs hash_key (or key)');
  if (s.encrypt_with !== undefined && !ids.includes(s.encrypt_with)) issue('encrypt_with', `unknown key id '${s.encrypt_with}'; keys has: ${ids.join(', ') || 'none'}`);
  if (kinds.has('encrypt') && ids.length > 1 && s.encrypt_with === undefined) issue('encrypt_with', `with several keys, say which one encrypt uses: ${ids.join(', ')}`);
  for (const [path, ref] of [['key', s.key], ['hash_key', s.hash_key], ...Object.entries(s.keys ?? {}).map(([k, v]) => [`keys.${k}`, v])] as [string, string | undefined][]) {
    // A default would put the key itself in the pipeline file.
    if (ref?.includes(':-')) issue(path, 'a key reference cannot have a :-default (the default would be the key, in the file)');
  }
});
export type PiiSpec = z.infer<typeof piiSchema>;

type Kind = 'drop' | 'hash' | 'mask' | 'encrypt' | 'decrypt' | 'generalize';
const kindOf = (m: PiiMethod): Kind => (typeof m === 'string' ? m : 'hash' in m ? 'hash' : 'mask' in m ? 'mask' : 'generalize');
const keyIds = (s: Pick<PiiSpec, 'key' | 'keys'>): string[] => (s.key ? ['default'] : Object.keys(s.keys ?? {}));
/** With one key, encrypt uses it without being told. */
const onlyKey = (s: PiiSpec): string | undefined => (keyIds(s).length === 1 ? keyIds(s)[0] : undefined);

const DATE_TYPES = /^(DATE|TIMESTAMP.*)$/;
const NUMBER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;

export const pii = {
  schema: piiSchema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const columns = await ctx.table.columns(s.input);
    await requireColumns(ctx.table, s.input, Object.keys(s.columns), 'columns');
    const keys = resolveKeys(s, ctx);
    const cipher = keys.aes ? registerCipher(ctx.table, keys.aes, s.encrypt_with ?? onlyKey(s)) : undefined;
    const selected = columns.flatMap((c) => {
      const m = s.columns[c.name];
      if (m === undefined) return [ident(c.name)];
      if (m === 'drop') return [];
      return [`${expression(m, ident(c.name), c.type, cipher, ctx, c.name)} AS ${ident(c.name)}`];
    });
    if (selected.length === 0) throw new ConfigError(`every column of ${s.input} would be dropped`, { dataset: s.input, field: fieldOf(ctx, 'columns') });
    try {
      await materialize(ctx, writesOutput(s), `SELECT ${selected.join(', ')} ${from(s.input)}`, keys.hmac ? hmacParams(keys.hmac) : undefined);
    } catch (err) {
      if (cipher?.failure) throw await decryptError(s, ctx, cipher, err);
      throw err;
    }
  },
} satisfies Step<PiiSpec>;

/** `standardize[2] (pii).keys.k2024`: where a problem is, as the step errors say it. */
const fieldOf = (ctx: StepContext, field: string): string => `${ctx.stage}[${ctx.index}] (pii).${field}`;

/**
 * The keys from the worker's environment, registered for masking. Every listed key must be set
 * (decrypt may need any of them); a missing one names the step and field, never a value.
 */
function resolveKeys(s: PiiSpec, ctx: StepContext): { hmac?: Buffer; aes?: Record<string, Buffer> } {
  const kinds = new Set(Object.values(s.columns).map(kindOf));
  const resolve = (field: string, ref: string, parse: (t: string) => Buffer): Buffer => {
    const text = resolveEnv(ref, process.env, fieldOf(ctx, field), (_path, value) => registerSecret(value));
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof KeyFormatError) throw new ConfigError(`${ref}: ${err.message}`, { dataset: s.input, field: fieldOf(ctx, field) });
      throw err;
    }
  };
  const out: { hmac?: Buffer; aes?: Record<string, Buffer> } = {};
  if (kinds.has('hash')) out.hmac = s.hash_key ? resolve('hash_key', s.hash_key, hashKey) : resolve('key', s.key!, hashKey);
  if (kinds.has('encrypt') || kinds.has('decrypt')) {
    const refs = s.key ? { default: s.key } : s.keys ?? {};
    out.aes = Object.fromEntries(Object.entries(refs).map(([id, ref]) => [id, resolve(s.key ? 'key' : `keys.${id}`, ref, aesKey)]));
  }
  return out;
}

/** The SQL that protects one column; `c` is the quoted column. Hash keys are the query's parameters $1 and $2. */
function expression(m: Exclude<PiiMethod, 'drop'>, c: string, type: string, cipher: Cipher | undefined, ctx: StepContext, name: string): string {
  const text = type === 'VARCHAR' ? c : `CAST(${c} AS VARCHAR)`;
  if (m === 'hash' || (typeof m === 'object' && 'hash' in m)) {
    return hmacSql(typeof m === 'object' && m.hash.normalize ? `lower(trim(${text}))` : text, '$1', '$2');
  }
  if (m === 'encrypt') return `${cipher!.encrypt}(${text})`;
  if (m === 'decrypt') return `${cipher!.decrypt}(${text})`;
  if (m === 'mask' || 'mask' in m) {
    const { keep_last: keep, char } = m === 'mask' ? { keep_last: 4, char: '*' } : m.mask;
    // A value no longer than what would stay visible is masked whole: showing all of it protects nothing.
    return `CASE WHEN length(${text}) > ${keep} THEN repeat(${lit(char)}, length(${text}) - ${keep}) || right(${text}, ${keep}) ELSE repeat(${lit(char)}, length(${text})) END`;
  }
  const g = m.generalize;
  const wrongType = (wanted: string) =>
    new ConfigError(`generalize ${typeof g === 'string' ? g : 'bucket'} needs a ${wanted} column, ${name} is ${type} (cast it first with a cast step)`, { field: fieldOf(ctx, `columns.${name}`) });
  if (typeof g === 'string') {
    if (!DATE_TYPES.test(type)) throw wrongType('DATE or TIMESTAMP');
    return `CAST(date_trunc(${lit(g)}, ${c}) AS DATE)`;
  }
  if (!NUMBER_TYPES.test(type)) throw wrongType('numeric');
  // Whole widths give whole bounds (BIGINT); others give DOUBLE. floor keeps negatives in the lower bucket.
  const whole = Number.isInteger(g.bucket);
  const lower = whole ? `CAST(floor(CAST(${c} AS DOUBLE) / ${g.bucket}) AS BIGINT) * ${g.bucket}` : `floor(CAST(${c} AS DOUBLE) / ${g.bucket}) * ${g.bucket}`;
  if (g.as === 'lower') return lower;
  return `CASE WHEN ${c} IS NULL THEN NULL ELSE '[' || CAST(${lower} AS VARCHAR) || ', ' || CAST(${lower} + ${g.bucket} AS VARCHAR) || ')' END`;
}

/** A value that did not decrypt: the column and the first such row (1-based, in input order), never the value. */
async function decryptError(s: PiiSpec, ctx: StepContext, cipher: Cipher, cause: unknown): Promise<DataError> {
  const columns = Object.entries(s.columns).filter(([, m]) => m === 'decrypt').map(([c]) => c);
  for (const column of columns) {
    const [bad] = await ctx.table.rows(
      `SELECT n FROM (SELECT row_number() OVER () AS n, ${ident(column)} AS v ${from(s.input)}) WHERE NOT ${cipher.decryptable}(CAST(v AS VARCHAR)) ORDER BY n LIMIT 1`,
    );
    if (bad) return new DataError(`cannot decrypt column ${column}, row ${Number(bad.n)}: ${cipher.failure!.reason}`, { dataset: s.input, field: fieldOf(ctx, `columns.${column}`) }, { cause: new Error('decrypt failed') });
  }
  return new DataError(`cannot decrypt: ${cipher.failure!.reason}`, { dataset: s.input, field: fieldOf(ctx, 'columns') }, { cause });
}
