/**
 * Every command and subcommand, table-driven: `--help`/`-h` prints its help and does nothing else;
 * an unknown flag, a stray argument, a missing argument or a bad option value is a one-line error
 * with exit code 2 and no stack trace. Also the exit codes of config errors and `run --dry-run`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, utimes, rm, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, commandPaths } from '../../../src/cli/program.js';
import type { Command } from 'commander';
import { ferry, testCli } from './support.js';

const helpCli = testCli();
const program = buildProgram(helpCli, () => undefined);
/** The help a command prints (with the text added after it), captured through the CLI's writer. */
const helpOf = (path: string[]): string => {
  const before = helpCli.stdout().length;
  commandAt(path).outputHelp();
  return helpCli.stdout().slice(before);
};
const PATHS = commandPaths(program);
const commandAt = (path: string[]): Command => path.reduce((cmd, name) => cmd.commands.find((c) => c.name() === name)!, program);
const requiredArgs = (path: string[]) => commandAt(path).registeredArguments.filter((a) => a.required).map(() => 'x');
/** Every argument, optional ones too (`ferry state show <pipeline> [source]`): one more is stray. */
const allArgs = (path: string[]) => (commandAt(path).commands.length ? requiredArgs(path) : commandAt(path).registeredArguments.map(() => 'x'));
const full = (path: string[]) => `ferry ${path.join(' ')}`;

describe('the command list', () => {
  it('has one module per command group, and dev has its subcommands', () => {
    assert.deepEqual(PATHS.map((p) => p.join(' ')), [
      'validate', 'run', 'worker', 'dev', 'dev start', 'dev stop', 'dev status', 'dev env',
      'schedule', 'schedule apply', 'schedule list', 'schedule describe', 'schedule pause', 'schedule unpause', 'schedule trigger',
      'schedule backfill', 'schedule delete', 'status', 'runs', 'cancel', 'terminate', 'retry', 'history', 'viz', 'serve', 'prune',
      'state', 'state show', 'state set', 'state reset',
      'catalog', 'catalog list', 'catalog versions', 'catalog show', 'catalog diff', 'catalog pin', 'catalog unpin',
      'approve', 'reject', 'quarantine',
    ]);
  });
});

describe('--help and -h print help and do nothing else', () => {
  for (const path of [[], ...PATHS]) {
    for (const flag of ['--help', '-h']) {
      it(`${full(path)} ${flag}`, async () => {
        const res = await ferry([...path, flag]);
        assert.equal(res.code, 0);
        assert.equal(res.err, '');
        assert.equal(res.connected, 0);
        assert.equal(res.out, helpOf(path));
        assert.ok(res.out.startsWith(`Usage: ${full(path).replace(/ $/, '')} `), res.out);
      });
    }
  }

  it('`ferry --version` prints the version from package.json', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    assert.deepEqual(await ferry(['--version']), { code: 0, out: `${version}\n`, err: '', connected: 0 });
  });

  it('`ferry help run` is the help of run', async () => {
    const res = await ferry(['help', 'run']);
    assert.equal(res.code, 0);
    assert.equal(res.out, helpOf(['run']));
  });

  it('--help wins over a bad option value or a stray argument on the same line', async () => {
    for (const [argv, path] of [[['worker', '--max-activities', '0', '--help'], ['worker']], [['runs', '--limit', 'x', '-h'], ['runs']], [['dev', 'stop', 'stray', '-h'], ['dev', 'stop']], [['run', 'p.yaml', '-p', 'k', '--help'], ['run']]] as const) {
      assert.deepEqual(await ferry([...argv]), { code: 0, out: helpOf([...path]), err: '', connected: 0 }, argv.join(' '));
    }
  });

  it('`ferry help <command…>` prints that command\'s help, subcommands included', async () => {
    for (const path of [['run'], ['dev'], ['dev', 'stop']]) assert.deepEqual(await ferry(['help', ...path]), { code: 0, out: helpOf(path), err: '', connected: 0 });
  });

  it('`ferry` alone prints the overview with every command and the environment', async () => {
    const res = await ferry([]);
    assert.equal(res.code, 0);
    for (const p of PATHS.filter((q) => q.length === 1)) assert.match(res.out, new RegExp(`^  ${p[0]} `, 'm'));
    assert.match(res.out, /TEMPORAL_ADDRESS/);
  });
});

describe('usage errors: one line on stderr, exit code 2', () => {
  for (const path of PATHS) {
    it(`${full(path)} --no-such-flag`, async () => {
      const res = await ferry([...path, ...requiredArgs(path), '--no-such-flag']);
      assert.deepEqual(res, { code: 2, out: '', err: "error: unknown option '--no-such-flag'\n", connected: 0 });
    });
    it(`${full(path)} with a stray argument`, async () => {
      const res = await ferry([...path, ...allArgs(path), 'stray']);
      assert.equal(res.code, 2);
      assert.equal(res.out, '');
      const n = allArgs(path).length;
 // `ferry dev stray` is neither a dev command nor `dev` alone (= `dev start`); the same for schedule (= list).
      assert.equal(res.err, full(path) === 'ferry dev'
        ? "error: command-argument value 'stray' is invalid for argument 'command'. Allowed choices are start, stop, status, env.\n"
        : full(path) === 'ferry state' || full(path) === 'ferry catalog'
        ? "error: unknown command 'stray'\n"
        : full(path) === 'ferry schedule'
        ? "error: command-argument value 'stray' is invalid for argument 'command'. Allowed choices are apply, list, describe, pause, unpause, trigger, backfill, delete.\n"
        : `error: too many arguments for '${path.at(-1)}'. Expected ${n} argument${n === 1 ? '' : 's'} but got ${n + 1}.\n`);
    });
    if (requiredArgs(path).length) {
      it(`${full(path)} without its argument`, async () => {
        const res = await ferry(path);
        assert.equal(res.code, 2);
        assert.equal(res.err, `error: missing required argument '${commandAt(path).registeredArguments[0]!.name()}'\n`);
      });
    }
  }

  const BAD: [string[], string][] = [
    [['rn'], "error: unknown command 'rn' (Did you mean run?)\n"],
    [['run', 'p.yaml', '--param', 'day'], "error: option '-p, --param <key=value>' argument 'day' is invalid. expected key=value\n"],
    [['validate', 'p.yaml', '-p', '=x'], "error: option '-p, --param <key=value>' argument '=x' is invalid. expected key=value\n"],
    [['runs', '--limit', '0'], "error: option '-l, --limit <n>' argument '0' is invalid. expected a whole number of at least 1\n"],
    [['runs', '--limit', 'ten'], "error: option '-l, --limit <n>' argument 'ten' is invalid. expected a whole number of at least 1\n"],
    [['worker', '--max-activities', '-1'], "error: option '--max-activities <n>' argument '-1' is invalid. expected a whole number of at least 1\n"],
    [['worker', '--log-format', 'xml'], "error: option '--log-format <format>' argument 'xml' is invalid. expected one of: text, json\n"],
    [['terminate'], "error: missing required argument 'workflow-id'\n"],
    [['prune', '--older-than', 'soon'], "error: option '--older-than <age>' argument 'soon' is invalid. expected a duration such as 30m, 12h or 7d\n"],
    [['run', 'p.yaml', '--dry-run', '--wait'], "error: option '-n, --dry-run' cannot be used with option '-w, --wait'\n"],
    [['run', 'p.yaml', '--id'], "error: option '--id <workflow-id>' argument missing\n"],
    [['help', 'bogus'], "error: unknown command 'bogus'\n"],
    [['help', 'run', 'extra'], "error: unknown command 'run extra'\n"],
  ];
  for (const [argv, err] of BAD) {
    it(`ferry ${argv.join(' ')}`, async () => {
      assert.deepEqual(await ferry(argv), { code: 2, out: '', err, connected: 0 });
    });
  }
});

describe('exit codes of config problems', () => {
  it('validate of a missing file: exit 1, the problem on stderr', async () => {
    const res = await ferry(['validate', 'no/such/pipeline.yaml']);
    assert.deepEqual(res, { code: 1, out: '', err: '✖ 1 problem in the pipeline config:\n  no/such/pipeline.yaml  file not found or not readable\n', connected: 0 });
  });

  it('run with a bad config: exit 1 and Temporal is never contacted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-cli-'));
    try {
      await writeFile(join(dir, 'p.yaml'), 'name: p\nsources:\n  a:\n    type: ftp\n');
      const res = await ferry(['run', join(dir, 'p.yaml'), '--wait']);
      assert.equal(res.code, 1);
      assert.equal(res.connected, 0);
      assert.equal(res.err, `✖ 1 problem in the pipeline config:\n  ${join(dir, 'p.yaml')}:4:11  sources.a.type: expected one of: file, http, postgres, s3, catalog (got "ftp")\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable Temporal server is exit 1 with one line, no stack', async () => {
    const res = await ferry(['status', 'some-run'], { connect: async () => { throw new Error('cannot reach the Temporal server at 127.0.0.1:1'); } });
    assert.deepEqual(res, { code: 1, out: '', err: 'error: cannot reach the Temporal server at 127.0.0.1:1\n', connected: 0 });
  });
});

describe('ferry run --dry-run', () => {
  it('prints the plan of the retail example and connects to nothing', async () => {
    const res = await ferry(['run', 'config/pipelines/retail.yaml', '--dry-run', '--param', 'day=2024-01-05', '-q', 'nightly']);
    assert.equal(res.err, '');
    assert.equal(res.code, 0);
    assert.equal(res.connected, 0);
    assert.equal(res.out, `plan of retail (config/pipelines/retail.yaml), task queue nightly — dry run, nothing started

  params
    day = 2024-01-05

  ingest
    sales         ← s3 lake: s3://ferry-demo/raw/sales.csv
    products      ← postgres warehouse: SELECT product_id, name, category, unit_price FROM retail.products WHERE active = $1
    transactions  ← postgres warehouse: SELECT sale_id, payment_method, status FROM retail.transactions
    customers     ← http demo_api: GET /customers (paginate: page_number)
    rates         ← http demo_api: GET /rates

  standardize
     1. dates      sales → sales
     2. rename     products → products
     3. rename     customers → customers
     4. join       sales, transactions → enriched
     5. join       enriched, products → enriched
     6. join       enriched, customers → enriched
     7. join       enriched, rates → enriched

  preprocess
     1. dedupe     enriched → enriched
     2. fill       enriched → enriched
     3. derive     enriched → enriched
     4. outliers   enriched → enriched, abnormal_sales
     5. derive     enriched → enriched
     6. select     enriched → sales_final

  deliver
    warehouse  sales_final → postgres warehouse: retail.sales_enriched (upsert on sale_id)
    lake       sales_final → s3 lake: s3://ferry-demo/curated/sales_enriched.csv
    api        sales_final → http demo_api: POST /ingest in batches of 4

  settings
    heartbeat_timeout 20s · activity_timeout 2h
    retry: up to 30 attempts, waiting 1s ×2 per attempt, at most 1m

  connections
    warehouse (postgres)
    lake (s3)
    demo_api (http)
`);
  });
});

describe('prune --help and dev --help through bin/ferry.js', () => {
  it('prune --help removes nothing; prune without it does (control)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ferry-prune-help-'));
    try {
      await mkdir(join(root, 'retail', 'old-run', 'ingest'), { recursive: true });
      const file = join(root, 'retail', 'old-run', 'ingest', 'sales.parquet');
      await writeFile(file, 'x');
      const old = new Date(Date.now() - 30 * 86_400_000);
      await utimes(file, old, old);
      const env = { ...process.env, FERRY_STAGING: root, NO_COLOR: '1' };
      const help = spawnSync(process.execPath, ['bin/ferry.js', 'prune', '--help'], { encoding: 'utf8', env });
      assert.equal(help.status, 0);
      assert.equal(help.stdout, helpOf(['prune']));
      assert.deepEqual(await readdir(join(root, 'retail')), ['old-run']);
      const real = spawnSync(process.execPath, ['bin/ferry.js', 'prune', '--offline'], { encoding: 'utf8', env });
      assert.equal(real.status, 0, real.stderr);
      assert.match(real.stdout, /removed retail\/old-run/);
      assert.deepEqual(await readdir(join(root, 'retail')), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('dev --help and dev start -h print help only (services.sh is not run)', () => {
    for (const argv of [['dev', '--help'], ['dev', 'start', '-h']]) {
      const res = spawnSync(process.execPath, ['bin/ferry.js', ...argv], { encoding: 'utf8' });
      assert.equal(res.status, 0);
      assert.equal(res.stderr, '');
      assert.equal(res.stdout, helpOf(argv.slice(0, -1)));
    }
  });

  it('an unknown flag through bin/ferry.js: exit 2, one line, no stack trace', () => {
    const res = spawnSync(process.execPath, ['bin/ferry.js', 'dev', '--force'], { encoding: 'utf8' });
    assert.equal(res.status, 2);
    assert.equal(res.stdout, '');
    assert.equal(res.stderr, "error: unknown option '--force'\n");
  });
});

describe('ferry --help is fast: the help path imports only commander and the command modules', () => {
  /** Static (value) imports of a module, relative ones resolved. */
  const importsOf = async (file: string): Promise<string[]> => {
    const text = await readFile(file, 'utf8');
    return [...text.matchAll(/^import (?!type )[^;]*? from '([^']+)';/gm)].map((m) => m[1]!);
  };

  it('main → program → commands load nothing heavy before an action runs', async () => {
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of await importsOf(file)) {
        if (spec.startsWith('.')) await visit(join(file, '..', spec.replace(/\.js$/, '.ts')));
        else external.add(spec);
      }
    };
    await visit('src/cli/main.ts');
    assert.deepEqual([...external].sort(), ['commander', 'node:fs']);
    assert.ok([...seen].every((f) => f.startsWith('src/cli/')), [...seen].join(', '));
  });

  it('node bin/ferry.js --help answers in well under a second', () => {
    const times = [0, 1, 2].map(() => {
      const t0 = process.hrtime.bigint();
      const res = spawnSync(process.execPath, ['bin/ferry.js', '--help'], { encoding: 'utf8' });
      assert.equal(res.status, 0);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    });
    assert.ok(Math.min(...times) < 800, `best of three: ${Math.min(...times).toFixed(0)} ms`);
  });
});
