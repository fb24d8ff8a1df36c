/**
 * The one DuckDB error classifier. DuckDB names the class of every error at the start of its
 * message ("Binder Error: …", "Conversion Error: …"); the class says whose fault it is:
 *
 *   Parser, Binder, Catalog, Permission, Not implemented  → CONFIG (the pipeline's SQL or types are wrong)
 *   Conversion, Constraint, Invalid Input, Out of Range   → DATA (a value does not fit)
 *   Out of Memory, IO with a full disk                    → RESOURCE (retried, maybe on another worker)
 *   anything else (Internal, other IO, …)                 → UNKNOWN (a few attempts only)
 *
 *   throw classifyDuckDbError(err, { dataset: 'sales' });
 */
import { FerryError, type ErrorCode, type ErrorContext } from '../errors.js';

const BY_CLASS: [RegExp, ErrorCode][] = [
  [/^(Parser|Binder|Catalog|Permission|Not implemented|Syntax) Error\b/i, 'CONFIG'],
  [/^(Conversion|Constraint|Invalid Input|Out of Range|Mismatch Type) Error\b/i, 'DATA'],
  [/^Out of Memory Error\b/i, 'RESOURCE'],
  [/^IO Error\b.*(No space left on device|disk is full|ENOSPC|Could not write all bytes)/is, 'RESOURCE'],
];

/** The code for a DuckDB error message (its first line is enough). */
export function duckDbErrorCode(message: string): ErrorCode {
  // "Invalid Input Error: Cannot change configuration option …": a step tried to change the locked engine.
  if (/^Invalid Input Error: Cannot change configuration option/i.test(message)) return 'CONFIG';
  for (const [pattern, code] of BY_CLASS) if (pattern.test(message)) return code;
  return 'UNKNOWN';
}

/** A DuckDB error as a Ferry error: the first line of DuckDB's message, classified; FerryErrors pass through. */
export function classifyDuckDbError(err: unknown, context: ErrorContext = {}): FerryError {
  if (err instanceof FerryError) return err;
  // The node client prefixes some errors with what it was doing ("Failed to extract statements: …").
  const text = (err instanceof Error ? err.message : String(err)).replace(/^Failed to [^:]+: (?=[A-Z][A-Za-z ]* Error: )/, '');
  return new FerryError(duckDbErrorCode(text), text.split('\n')[0]!, context, { cause: err });
}

/** The whole text DuckDB gave (a classified error keeps only its first line as the message). */
export function duckDbText(err: unknown): string {
  const cause = err instanceof FerryError ? err.cause : err;
  if (cause instanceof Error) return cause.message;
  return err instanceof Error ? err.message : String(err);
}
