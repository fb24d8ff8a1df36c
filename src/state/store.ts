/**
 * The watermark state store: one small JSON object per pipeline and source in the STAGING STORE
 * (`<FERRY_STAGING>/_state/<pipeline>/<source>.json`), which every worker and the CLI already
 * share — no extra server, no extra credentials (docs/decisions.md, "Where the watermarks live").
 *
 *   { "pipeline": "shop", "source": "orders", "cursor": "updated_at",
 *     "value": "2024-01-05T10:00:00.000000Z", "type": "timestamptz",
 *     "updatedAt": "2024-01-05T10:02:11.000Z", "runKey": "shop-20240105T100000Z", "by": "run",
 *     "history": [ { "value": …, "from": …, "at": …, "runKey": …, "by": "run" }, … ] }   // newest first
 *
 * Failure semantics: every change is a compare-and-swap on the object's version (S3: a PUT with
 * If-Match / If-None-Match, checked by the server; local: a lock directory around write-temp +
 * rename), retried on conflict, so two writers never lose each other's change. A run's commit only
 * ever moves the watermark FORWARD (`advanceWatermark`): a late or repeated commit of an older run
 * changes nothing, and a retried commit of the same run reports what it did the first time.
 * `ferry state set` and `reset` move it anywhere (backfills).
 */
import { ConfigError } from '../errors.js';
import { STATE_FOLDER, type StagingStore } from '../staging/store.js';
import { compareValues, type WatermarkType } from './values.js';

/** How many changes a state keeps (newest first). */
export const HISTORY_LENGTH = 20;

export type StateChange = {
  /** The value set (absent: reset). */
  value?: string;
  type?: WatermarkType;
  /** The value before. */
  from?: string;
  at: string;
  /** The logical run that committed it (`by: run`). */
  runKey?: string;
  by: 'run' | 'set' | 'reset';
};

export type WatermarkState = {
  pipeline: string;
  source: string;
  cursor?: string;
  /** Absent: no watermark (never committed, or reset): the next run starts from `initial`. */
  value?: string;
  type?: WatermarkType;
  updatedAt: string;
  runKey?: string;
  by: StateChange['by'];
  history: StateChange[];
};

export const stateKey = (pipeline: string, source: string): string => `${STATE_FOLDER}/${pipeline}/${source}.json`;

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

function checkNames(pipeline: string, source?: string): void {
  for (const [what, name] of [['pipeline', pipeline], ['source', source]] as const) {
    if (name !== undefined && (!SAFE_NAME.test(name) || name.includes('..'))) throw new ConfigError(`${what} name ${JSON.stringify(name)} is not a valid name`);
  }
}

export async function readState(store: StagingStore, pipeline: string, source: string): Promise<{ state: WatermarkState; version: string } | undefined> {
  checkNames(pipeline, source);
  const got = await store.readText(stateKey(pipeline, source));
  if (!got) return undefined;
  let state: WatermarkState;
  try {
    state = JSON.parse(got.text) as WatermarkState;
  } catch {
    throw new ConfigError(`the watermark state ${store.uri(stateKey(pipeline, source))} is not valid JSON: repair it with ferry state set or reset`);
  }
  return { state, version: got.version };
}

/** Every source with a stored state of one pipeline, sorted by source. */
export async function listStates(store: StagingStore, pipeline: string): Promise<WatermarkState[]> {
  checkNames(pipeline);
  const keys = (await store.list(`${STATE_FOLDER}/${pipeline}`)).filter((k) => k.endsWith('.json'));
  const states: WatermarkState[] = [];
  for (const key of keys) {
    const source = key.slice(`${STATE_FOLDER}/${pipeline}/`.length, -'.json'.length);
    if (source.includes('/')) continue;
    const got = await readState(store, pipeline, source);
    if (got) states.push(got.state);
  }
  return states.sort((a, b) => a.source.localeCompare(b.source));
}

/** The pipelines with stored state. */
export async function listStatePipelines(store: StagingStore): Promise<string[]> {
  const keys = await store.list(STATE_FOLDER);
  return [...new Set(keys.map((k) => k.split('/')[1]).filter((p): p is string => !!p))].sort();
}

/**
 * Read-modify-write with compare-and-swap: `change` gets the current state (or undefined) and
 * returns the next one, or undefined to leave it as it is. Retried when another writer won.
 */
async function update(store: StagingStore, pipeline: string, source: string, change: (now: WatermarkState | undefined) => WatermarkState | undefined): Promise<WatermarkState | undefined> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const now = await readState(store, pipeline, source);
    const next = change(now?.state);
    if (!next) return now?.state;
    if (await store.writeText(stateKey(pipeline, source), `${JSON.stringify(next, null, 2)}\n`, now?.version ?? null)) return next;
  }
  throw new ConfigError(`the watermark of ${pipeline}.${source} kept changing under this commit (50 conflicts): is something rewriting it in a loop?`);
}

const withChange = (now: WatermarkState | undefined, base: { pipeline: string; source: string; cursor?: string }, c: StateChange): WatermarkState => ({
  pipeline: base.pipeline,
  source: base.source,
  ...(base.cursor ?? now?.cursor ? { cursor: base.cursor ?? now?.cursor } : {}),
  ...(c.value !== undefined ? { value: c.value, type: c.type } : {}),
  updatedAt: c.at,
  ...(c.runKey ? { runKey: c.runKey } : {}),
  by: c.by,
  history: [c, ...(now?.history ?? [])].slice(0, HISTORY_LENGTH),
});

export type AdvanceResult = { from?: string; to: string } | { unchanged: string };

/**
 * A run's commit: moves the watermark to `value` only if that is ahead of the stored one. A
 * repeated commit of the same run (an activity retried after its first attempt wrote) reports the
 * move it made.
 */
export async function advanceWatermark(
  store: StagingStore,
  at: { pipeline: string; source: string; cursor: string },
  value: string,
  type: WatermarkType,
  runKey: string,
  now: string,
): Promise<AdvanceResult> {
  let result: AdvanceResult | undefined;
  await update(store, at.pipeline, at.source, (state) => {
    if (state?.value !== undefined && state.type) {
      const order = compareStored(state, value, type, at);
      if (order >= 0) {
        const mine = state.value === value && state.runKey === runKey && state.by === 'run';
        result = mine ? { ...(state.history[0]?.from !== undefined ? { from: state.history[0].from } : {}), to: value } : { unchanged: state.value };
        return undefined;
      }
    }
    result = { ...(state?.value !== undefined ? { from: state.value } : {}), to: value };
    return withChange(state, at, { value, type, ...(state?.value !== undefined ? { from: state.value } : {}), at: now, runKey, by: 'run' });
  });
  return result!;
}

/** The stored value compared with a candidate: times of different precision compare as instants. */
function compareStored(state: WatermarkState, value: string, type: WatermarkType, at: { pipeline: string; source: string }): number {
  const time = (t: WatermarkType) => t === 'timestamptz' || t === 'timestamp' || t === 'date';
  if (state.type === type || (time(state.type!) && time(type))) return compareValues(state.value!, value, time(type) ? 'timestamptz' : type);
  throw new ConfigError(`the stored watermark of ${at.pipeline}.${at.source} is a ${state.type} (${state.value}) but the run's cursor is a ${type}: move it with ferry state set --type ${type}, or reset it`);
}

/** `ferry state set`: moves the watermark to `value`, back or forth. */
export async function setWatermark(store: StagingStore, pipeline: string, source: string, value: string, type: WatermarkType, now: string): Promise<WatermarkState> {
  return (await update(store, pipeline, source, (state) =>
    withChange(state, { pipeline, source }, { value, type, ...(state?.value !== undefined ? { from: state.value } : {}), at: now, by: 'set' })))!;
}

/** `ferry state reset`: no watermark; the next run starts from `initial` (the history is kept). */
export async function resetWatermark(store: StagingStore, pipeline: string, source: string, now: string): Promise<WatermarkState | undefined> {
  return update(store, pipeline, source, (state) =>
    (state ? withChange(state, { pipeline, source }, { ...(state.value !== undefined ? { from: state.value } : {}), at: now, by: 'reset' }) : undefined));
}
