/**
 * What Parquet cannot hold exactly, and how Ferry stages it instead. DuckDB writes HUGEINT and
 * UHUGEINT to Parquet as DOUBLE (digits lost past 2^53), rounds INTERVAL to milliseconds and refuses
 * negative ones, and moves TIME WITH TIME ZONE to UTC. Such columns are staged as DECIMAL(38,0)
 * (128-bit integers that fit 38 digits) or as exact text, which DuckDB and PostgreSQL read back as
 * the same value.
 *
 *   stagedType('HUGEINT', 'decimal')            // → 'DECIMAL(38,0)'
 *   stagedType('STRUCT(d INTERVAL)', 'decimal')  // → 'STRUCT(d VARCHAR)'
 */

/** `decimal`: 128-bit integers as DECIMAL(38,0); `text`: as VARCHAR (for values beyond 38 digits). */
export type WideIntegers = 'decimal' | 'text';

export function stagedType(type: string, wide: WideIntegers): string {
  return type
    .replace(/\bU?HUGEINT\b/g, wide === 'decimal' ? 'DECIMAL(38,0)' : 'VARCHAR')
    .replace(/\bINTERVAL\b/g, 'VARCHAR')
    .replace(/\bTIME WITH TIME ZONE\b/g, 'VARCHAR');
}
