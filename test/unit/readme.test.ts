/** The pipeline shown in the README is a real one: it must pass `ferry validate`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '../../src/pipeline/load.js';

test("the README's example pipeline validates", async () => {
  const readme = await readFile('README.md', 'utf8');
  const yaml = /```yaml\n# config\/pipelines\/retail\.yaml \(abridged\)\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(yaml, 'the README has the abridged pipeline');
  const dir = await mkdtemp(join(tmpdir(), 'ferry-readme-'));
  try {
    await writeFile(join(dir, 'retail.yaml'), yaml);
    const { spec } = await loadPipeline(join(dir, 'retail.yaml'), { connectionsFile: 'config/connections.yaml' });
    assert.deepEqual(Object.keys(spec.sinks), ['warehouse', 'lake', 'api']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
