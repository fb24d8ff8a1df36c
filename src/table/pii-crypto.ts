/**
 * The cryptography of the `pii` step, kept away from its SQL: keys, keyed hashing and AES-256-GCM
 * as DuckDB scalar functions whose keys live only in this process's memory, never in SQL text.
 *
 *   const k = hashKey(resolvedText);                       // HMAC-SHA256 key: the text's UTF-8 bytes
 *   const sql = hmacSql('"email"', '$1', '$2');            // with params hmacParams(k)
 *   const fns = registerCipher(table, { k2025: aesKey(t) }, 'k2025');
 *   await table.run(`SELECT ${fns.encrypt}("notes") FROM t`);
 *
 * HMAC runs in DuckDB itself (sha256 twice over the padded key, RFC 2104): exact, and parallel on
 * every core, about twice as fast as a JavaScript function on one. AES-GCM has no DuckDB function:
 * it runs in Node's crypto through a scalar UDF (callbacks are serialized on the JS thread).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DuckDBValue } from '@duckdb/node-api';
import { duckdbDriver, type TableEngine } from './engine.js';

/** Encrypted values read `ferry:v1:<key id>:<base64 of iv ‖ ciphertext ‖ tag>`. */
export const CIPHER_PREFIX = 'ferry:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Shorter HMAC keys are refused: they can be guessed, and a guessed key reverses every hash of a small domain. */
export const MIN_HASH_KEY_CHARS = 16;

/** Why a key was refused: the message never contains the key, only its length. */
export class KeyFormatError extends Error {}

/** The HMAC key is the variable's text as UTF-8 bytes, as `openssl dgst -sha256 -hmac "$KEY"` takes it. */
export function hashKey(text: string): Buffer {
  if (text.length < MIN_HASH_KEY_CHARS) throw new KeyFormatError(`a hash key needs at least ${MIN_HASH_KEY_CHARS} characters, got ${text.length}`);
  return Buffer.from(text, 'utf8');
}

/** An AES-256 key: 32 bytes written as 64 hex digits or in base64 (`openssl rand -base64 32`). */
export function aesKey(text: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Buffer.from(t, 'base64');
    if (bytes.length === 32) return bytes;
  }
  throw new KeyFormatError(`an encryption key must be 32 bytes written as 64 hex digits or in base64 (openssl rand -base64 32), got ${t.length} characters`);
}

/** The inner and outer padded keys of HMAC-SHA256 (RFC 2104), as bound parameters of the query. */
export function hmacParams(key: Buffer): DuckDBValue[] {
  const block = Buffer.alloc(64);
  // A key longer than the block is not hashed first here: keys come from env vars, 64 bytes is plenty.
  if (key.length > 64) throw new KeyFormatError(`a hash key may have at most 64 bytes, got ${key.length}`);
  key.copy(block);
  const { DuckDBBlobValue } = duckdbDriver(); // on an open engine: validating a pipeline loads no DuckDB
  return [new DuckDBBlobValue(block.map((b) => b ^ 0x36)), new DuckDBBlobValue(block.map((b) => b ^ 0x5c))];
}

/** HMAC-SHA256 of a text expression as lower-case hex; NULL stays NULL. `ipad`/`opad`: the parameters' placeholders. */
export const hmacSql = (text: string, ipad: string, opad: string): string =>
  `sha256(CAST(${opad} AS BLOB) || unhex(sha256(CAST(${ipad} AS BLOB) || encode(${text}))))`;

let functions = 0;

export type DecryptFailure = { reason: string };

export type Cipher = {
  /** SQL function names: encrypt(text) → text, decrypt(text) → text, decryptable(text) → boolean. */
  encrypt: string;
  decrypt: string;
  decryptable: string;
  /** Set when decrypt refused a value (the query then fails): why, without the value or a key. */
  failure?: DecryptFailure;
};

/**
 * Registers encrypt/decrypt functions over the given keys on the engine's connection. Decrypt
 * picks the key by the id stored in the value, so values encrypted under a retired key still
 * decrypt while the key is listed. A value that does not decrypt fails the query; `failure` says why.
 */
export function registerCipher(table: TableEngine, keys: Record<string, Buffer>, encryptWith: string | undefined): Cipher {
  const { DuckDBScalarFunction, VARCHAR, BOOLEAN } = duckdbDriver();
  const n = ++functions;
  const cipher: Cipher = { encrypt: `__ferry_pii_encrypt_${n}`, decrypt: `__ferry_pii_decrypt_${n}`, decryptable: `__ferry_pii_decryptable_${n}` };
  const encKey = encryptWith === undefined ? undefined : keys[encryptWith];
  if (encKey) {
    const prefix = `${CIPHER_PREFIX}${encryptWith}:`;
    table.conn.registerScalarFunction(DuckDBScalarFunction.create({
      name: cipher.encrypt,
      returnType: VARCHAR,
      parameterTypes: [VARCHAR],
      // A fresh IV per value: DuckDB must call it for every row, never fold it into a constant.
      volatile: true,
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0);
        const ivs = randomBytes(IV_BYTES * input.rowCount);
        for (let r = 0; r < input.rowCount; r++) {
          const v = values.getItem(r) as string | null;
          output.setItem(r, v === null ? null : prefix + encryptOne(encKey, ivs.subarray(IV_BYTES * r, IV_BYTES * (r + 1)), v));
        }
        output.flush();
      },
    }));
  }
  const decryptFn = (name: string, check: boolean) => DuckDBScalarFunction.create({
    name,
    returnType: check ? BOOLEAN : VARCHAR,
    parameterTypes: [VARCHAR],
    mainFunction: (info, input, output) => {
      const values = input.getColumnVector(0);
      for (let r = 0; r < input.rowCount; r++) {
        const v = values.getItem(r) as string | null;
        const out = v === null ? null : decryptOne(keys, v);
        if (check) output.setItem(r, v === null || typeof out === 'string');
        else if (out !== null && typeof out !== 'string') {
          cipher.failure ??= out;
          info.setError(`pii decrypt: ${out.reason}`);
          return;
        } else output.setItem(r, out);
      }
      output.flush();
    },
  });
  table.conn.registerScalarFunction(decryptFn(cipher.decrypt, false));
  table.conn.registerScalarFunction(decryptFn(cipher.decryptable, true));
  return cipher;
}

export function encryptOne(key: Buffer, iv: Buffer, plain: string): string {
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = c.update(plain, 'utf8');
  c.final(); // GCM is a stream mode: final() adds no bytes, it computes the tag
  return Buffer.concat([iv, body, c.getAuthTag()]).toString('base64');
}

/** The plain text, or why not (never the value, never a key). */
export function decryptOne(keys: Record<string, Buffer>, value: string): string | DecryptFailure {
  if (!value.startsWith(CIPHER_PREFIX)) return { reason: `not an encrypted value (expected ${CIPHER_PREFIX}<key id>:…)` };
  const rest = value.slice(CIPHER_PREFIX.length);
  const colon = rest.indexOf(':');
  const id = colon < 0 ? '' : rest.slice(0, colon);
  const key = Object.hasOwn(keys, id) ? keys[id] : undefined;
  if (!key) return { reason: `encrypted with key '${id.slice(0, 40)}', which the step does not list (it has: ${Object.keys(keys).join(', ')})` };
  const raw = Buffer.from(rest.slice(colon + 1), 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) return { reason: 'the encrypted value is truncated' };
  try {
    const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    d.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = d.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES));
    return Buffer.concat([plain, d.final()]).toString('utf8');
  } catch {
    return { reason: `the value does not authenticate under key '${id}': wrong key, or the value was altered` };
  }
}
