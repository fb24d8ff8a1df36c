/**
 * Every ```yaml block in the README and docs/*.md is real: a pipeline validates like `ferry validate`
 * (with config/connections.yaml), a connections block passes the connections schema, and any other
 * fragment at least parses as YAML.
 */
import { test, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadPipeline } from '../../src/pipeline/load.js';
import { connectionsFileSchema } from '../../src/connect/connections.js';

type Block = { file: string; line: number; text: string };

async function yamlBlocks(file: string): Promise<Block[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => ({ file, line: text.slice(0, m.index).split('\n').length, text: m[1]! }));
}

const docs = ['README.md', ...(await readdir('docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const blocks = (await Promise.all(docs.map(yamlBlocks))).flat();

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const kindOf = (value: unknown): 'pipeline' | 'connections' | 'fragment' => {
  if (isObject(value) && 'name' in value && 'sources' in value) return 'pipeline';
  if (isObject(value) && Object.values(value).length && Object.values(value).every((v) => isObject(v) && ['postgres', 's3', 'http'].includes(String(v.type)))) return 'connections';
  return 'fragment';
};

test('the README has yaml blocks to check, among them a pipeline and a connections block', () => {
  const kinds = blocks.filter((b) => b.file === 'README.md').map((b) => kindOf(parseDocument(b.text).toJS()));
  assert.ok(kinds.includes('pipeline'), kinds.join(', '));
  assert.ok(kinds.includes('connections'), kinds.join(', '));
});

describe('every yaml block in the README and docs', () => {
  for (const block of blocks) {
    it(`${block.file}:${block.line}`, async () => {
      const doc = parseDocument(block.text, { uniqueKeys: true });
      assert.deepEqual(doc.errors.map((e) => e.message), [], 'the block parses as YAML');
      const value = doc.toJS() as unknown;
      const kind = kindOf(value);
      if (kind === 'connections') {
        const result = connectionsFileSchema.safeParse(value);
        assert.ok(result.success, JSON.stringify(result.error?.issues));
      }
      if (kind === 'pipeline') {
        const dir = await mkdtemp(join(tmpdir(), 'ferry-readme-'));
        try {
          await writeFile(join(dir, 'pipeline.yaml'), block.text);
          const { spec } = await loadPipeline(join(dir, 'pipeline.yaml'), { connectionsFile: 'config/connections.yaml' });
          assert.equal(spec.name, (value as { name: string }).name);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
    });
  }
});

test("the README's abridged retail pipeline delivers to the three sinks of the example", async () => {
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
