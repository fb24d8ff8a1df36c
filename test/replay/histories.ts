/**
 * The recorded histories of the replay suite: `histories/*.json` are runs of the current workflow
 * code (re-recorded by `npm run record-histories`); each `histories/<before-change>/` folder keeps
 * runs recorded before a patched change, so the old path stays covered until the patch is removed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';

export type RecordedHistory = { name: string; text: string; history: { events: Record<string, unknown>[] } };

const root = new URL('./histories/', import.meta.url);

export function recordedHistories(): RecordedHistory[] {
  const walk = (dir: URL, prefix: string): RecordedHistory[] =>
    readdirSync(dir).sort().flatMap((entry) => {
      const url = new URL(entry, dir);
      if (statSync(url).isDirectory()) return walk(new URL(`${entry}/`, dir), `${prefix}${entry}/`);
      if (!entry.endsWith('.json')) return [];
      const text = readFileSync(url, 'utf8');
      return [{ name: `${prefix}${entry.replace(/\.json$/, '')}`, text, history: JSON.parse(text) as RecordedHistory['history'] }];
    });
  return walk(root, '');
}

/**
 * The workflow id the history was recorded under (its WorkflowExecutionStarted event carries it),
 * else its name. Replay must run as the same workflow: code that derives values from the id — the
 * lease ids of a rate-limited connection (workflows/lease.ts), compared with the grants in the
 * history's signals — would otherwise wait forever for a grant that names another workflow.
 */
export function workflowIdOf(h: RecordedHistory): string {
  const started = h.history.events[0]?.workflowExecutionStartedEventAttributes as { workflowId?: string } | undefined;
  return started?.workflowId || h.name;
}

/**
 * A nondeterminism error as one line a developer can act on: which history (its name is the
 * workflow id given to the replayer), which event diverged, and what that event was.
 */
export function divergence(h: RecordedHistory, error: unknown): string {
  const text = String(error);
  const m = /HistoryEvent\(id: (\d+), (\w+)\)/.exec(text);
  const reason = /Nondeterminism error: ([^"]*)"/.exec(text)?.[1] ?? text.split('\n')[0];
  if (!m) return `workflow ${h.name}: ${reason}`;
  const event = h.history.events.find((e) => String(e.eventId) === m[1]) as Record<string, { activityType?: { name?: string }; userMetadata?: unknown }> | undefined;
  const activity = event && Object.values(event).find((v) => v && typeof v === 'object' && 'activityType' in v)?.activityType?.name;
  return `workflow ${h.name} diverges at event ${m[1]} (${m[2]}${activity ? `, activity ${activity}` : ''}): ${reason}`;
}
