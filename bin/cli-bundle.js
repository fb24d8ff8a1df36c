// The CLI precompiled into .ferry/cli/<build>/ (esbuild, one chunk per lazily imported module), so
// short commands skip tsx's per-module work: `ferry run --dry-run` takes about half the CPU.
//
// Never stale: a build records every source file it read and the time it started; a build is used
// only while none of those files is newer than that and the checkout has not moved. Otherwise the
// launcher builds again (~0.2 s, into a new folder, then switches an index file atomically) or,
// when that fails (no esbuild, a read-only checkout), runs the sources through tsx as before.
// FERRY_NO_BUNDLE=1 always runs the sources.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const home = join(root, '.ferry', 'cli');
const index = join(home, 'index.json');

/** The entry of a build that matches the sources, else undefined. */
export function freshBundle() {
  let build;
  try {
    build = JSON.parse(readFileSync(index, 'utf8'));
  } catch {
    return undefined;
  }
  if (build.root !== root || !Array.isArray(build.inputs)) return undefined;
  for (const file of [...build.inputs, 'package.json']) {
    try {
      if (statSync(join(root, file)).mtimeMs >= build.startedAt) return undefined;
    } catch {
      return undefined; // a source file gone
    }
  }
  const entry = join(home, build.dir, 'main.js');
  return existsSync(entry) ? entry : undefined;
}

/** Builds the CLI; the entry, or undefined when it cannot be built here. */
export async function buildBundle() {
  const startedAt = Date.now() - 1; // a file saved while esbuild reads it counts as newer
  const dir = `${startedAt}-${process.pid}`;
  try {
    // esbuild comes with tsx (which compiles the sources when there is no build).
    const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild');
    const result = await esbuild.build({
      entryPoints: { main: join(root, 'src/cli/main.ts') },
      outdir: join(home, dir),
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
      plugins: [sourceUrls],
    });
    const inputs = Object.keys(result.metafile.inputs).map((f) => relative(root, join(process.cwd(), f)));
    mkdirSync(home, { recursive: true });
    const tmp = `${index}.${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ root, dir, startedAt, inputs }));
    renameSync(tmp, index);
    removeOldBuilds(dir);
    return join(home, dir, 'main.js');
  } catch {
    rmSync(join(home, dir), { recursive: true, force: true });
    return undefined;
  }
}

/**
 * `import.meta.url` keeps meaning the source file (the workflows path, package.json, scripts/):
 * each module's own URL is written in, so a chunk's location changes nothing.
 */
const sourceUrls = {
  name: 'source-urls',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/**
 * Builds from more than a day ago: a command started on an earlier build imports its chunks as it
 * goes (a `run --wait` its watch code), so a replaced build is not removed at once.
 */
function removeOldBuilds(keep) {
  for (const name of readdirSync(home)) {
    const at = Number(name.split('-')[0]);
    if (name !== keep && at && Date.now() - at > 86_400_000) rmSync(join(home, name), { recursive: true, force: true });
  }
}
