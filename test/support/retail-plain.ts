/**
 * The retail example without its `quality:` section: the viz tests pin the exact graph of a
 * pipeline of sources, steps and sinks (test/unit/viz/quality.test.ts draws rules on their own).
 */
import { loadPipeline, type LoadedPipeline } from '../../src/pipeline/load.js';

export async function loadRetailPlain(): Promise<LoadedPipeline> {
  const loaded = await loadPipeline('config/pipelines/retail.yaml');
  delete loaded.spec.quality;
  return loaded;
}
