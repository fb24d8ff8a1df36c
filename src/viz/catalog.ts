/**
 * The pipelines `ferry serve` shows: every `*.yaml` / `*.yml` in one folder, loaded and checked as
 * `ferry validate` would (no params; a pipeline that needs one is listed with the problem). Read
 * again on every request, so an edited file shows at once.
 *
 *   const catalog = await readCatalog('config/pipelines');
 *   catalog.find((p) => p.name === 'retail')?.loaded
 */
import { readdir } from 'node:fs/promises';
import { join, basename, extname } from 'node:path';
import { loadPipeline, SpecError, formatIssue, type LoadedPipeline } from '../pipeline/load.js';
import { NotFoundError } from '../errors.js';

export type CatalogEntry = { name: string; file: string; description?: string; loaded?: LoadedPipeline; error?: string };

export async function readCatalog(dir: string): Promise<CatalogEntry[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => ['.yaml', '.yml'].includes(extname(f))).sort();
  } catch {
    throw new NotFoundError(`no pipeline folder ${dir}`);
  }
  const entries = await Promise.all(files.map(async (f): Promise<CatalogEntry> => {
    const file = join(dir, f);
    try {
      const loaded = await loadPipeline(file);
      return { name: loaded.spec.name, file: loaded.file, ...(loaded.spec.description ? { description: loaded.spec.description } : {}), loaded };
    } catch (err) {
      const error = err instanceof SpecError ? err.issues.map((i) => formatIssue(i).trim()).join('\n') : (err as Error).message;
      return { name: basename(f, extname(f)), file, error };
    }
  }));
  return entries;
}
