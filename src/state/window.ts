/**
 * The window an incremental source reads, and the watermark its rows would move to.
 * CONTRACT STUB (issue 7): the incremental work replaces the bodies; the signatures are what the
 * ingest activity and the fan-out combine call.
 */
import type { IncrementalSpec, IncrementalWindow } from '../pipeline/incremental.js';
import type { StagingStore } from '../staging/store.js';
import type { TableEngine } from '../table/engine.js';
import type { RunContext, WatermarkCandidate } from '../run.js';

/** The window of one source for this run: from the state store's watermark (minus lookback), else `initial`. */
export async function windowFor(_staging: StagingStore, _pipeline: string, _source: string, spec: IncrementalSpec | undefined, _run: RunContext): Promise<IncrementalWindow | undefined> {
  return spec ? { cursor: spec.cursor } : undefined;
}

/** `${incremental.start}` and friends in a source spec, resolved for this window. */
export function resolveWindowRefs<T>(spec: T, _window: IncrementalWindow | undefined): T {
  return spec;
}

/**
 * Keeps only the rows of `dataset` inside the window (cursor > start) and returns the candidate
 * watermark: the greatest cursor value left (or `adapterWatermark`, when the cursor is not a column).
 */
export async function applyWindow(_table: TableEngine, _dataset: string, window: IncrementalWindow, adapterWatermark?: string): Promise<WatermarkCandidate> {
  return { ...window, ...(adapterWatermark ? { to: adapterWatermark } : {}) };
}

/** The greater of two candidate watermarks of one source (parts of a fanned-out read). */
export function maxCandidate(a: WatermarkCandidate | undefined, b: WatermarkCandidate | undefined): WatermarkCandidate | undefined {
  return a ?? b;
}
