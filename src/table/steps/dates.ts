/**
 * `dates`: parses date columns written in several formats into one type. Formats are tried in
 * order (strptime patterns); a value that matches none fails the run with the dataset, column, row
 * and value, unless `on_error: null`.
 *
 *   - type: dates
 *     input: sales
 *     columns: [sale_date]
 *     formats: ['%Y-%m-%d', '%d/%m/%Y', '%b %d %Y']
 *     to: date                       # or timestamp
 *
 * With an offset in a format (%z), `to: timestamp` gives TIMESTAMPTZ: the instant is kept.
 */
import { z } from 'zod';
import { DataError } from '../../errors.js';
import { ident, lit } from '../engine.js';
import { oneInput, readsInput, writesOutput, requireColumns, materialize, type Step } from './step.js';

const schema = z.strictObject({
  type: z.literal('dates'),
  ...oneInput,
  columns: z.array(z.string()).min(1),
  formats: z.array(z.string()).min(1).default(['%Y-%m-%d', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M:%S']),
  to: z.enum(['date', 'timestamp']).default('date').describe('timestamp: TIMESTAMPTZ (the instant) when a format has %z, else TIMESTAMP; date: the UTC date'),
  on_error: z.enum(['fail', 'null']).default('fail'),
});

export const dates = {
  schema,
  reads: readsInput,
  writes: writesOutput,
  async apply(s, ctx) {
    const have = await requireColumns(ctx.table, s.input, s.columns, 'columns');
    // A format with an offset (%z) parses to an instant: it stays TIMESTAMPTZ, so no time zone
    // (the engine runs in UTC anyway) can shift it; values without an offset are then taken as UTC.
    const instant = s.formats.some((f) => /%[zZ]/.test(f));
    const type = s.to === 'date' ? 'DATE' : instant ? 'TIMESTAMPTZ' : 'TIMESTAMP';
    const parse = (c: string) => {
      const attempts = s.formats.map((f) => `try_strptime(trim(${ident(c)}::VARCHAR), ${lit(f)})${instant ? '::TIMESTAMPTZ' : ''}`).join(', ');
      return `CAST(COALESCE(${attempts}) AS ${type})`;
    };
    if (s.on_error === 'fail') {
      for (const c of s.columns) {
        const bad = await ctx.table.rows(
          `SELECT row_number() OVER () AS row, ${ident(c)}::VARCHAR AS value FROM ${ident(s.input)} QUALIFY ${ident(c)} IS NOT NULL AND ${parse(c)} IS NULL LIMIT 1`,
        );
        if (bad.length) {
          throw new DataError(`value '${bad[0]!.value}' in row ${bad[0]!.row} matches none of the formats ${s.formats.join(', ')}`, { dataset: s.input, field: c, stage: ctx.stage });
        }
      }
    }
    const cols = have.map((c) => (s.columns.includes(c) ? `${parse(c)} AS ${ident(c)}` : ident(c)));
    await materialize(ctx, writesOutput(s), `SELECT ${cols.join(', ')} FROM ${ident(s.input)}`);
  },
} satisfies Step<z.infer<typeof schema>>;
