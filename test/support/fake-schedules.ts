/**
 * An in-memory twin of the Temporal client's schedule API (create, getHandle → describe, update,
 * pause, unpause, trigger, backfill, delete; list; listScheduleMatchingTimes) for unit tests of
 * `ferry schedule`. Payloads go through JSON as on the server; calls are recorded.
 *
 *   const fake = new FakeSchedules();
 *   await ferry(['schedule', 'apply', file], { connect: async () => fake.client });
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptions } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { msToNumber, tsToDate, msNumberToTs } from '@temporalio/common/lib/time.js';

type Stored = { options: ScheduleOptions; paused: boolean; note?: string };

export class FakeSchedules {
  readonly schedules = new Map<string, Stored>();
  readonly calls: string[] = [];
  /** Workflow ids the fake's visibility lists as running. */
  running: string[] = [];
  /** What listScheduleMatchingTimes answers (times inside the asked range). */
  times: Date[] = [];
  /** Thrown by create, as the server would (e.g. a namespace without Ferry's search attributes). */
  createError?: Error;

  private describe(id: string): ScheduleDescription {
    const s = this.schedules.get(id);
    if (!s) throw new ScheduleNotFoundError('schedule not found', id);
    const o = JSON.parse(JSON.stringify(s.options)) as ScheduleOptions; // as a payload round trip would
    return {
      scheduleId: id,
      spec: o.spec as ScheduleDescription['spec'],
      action: o.action as unknown as ScheduleDescription['action'],
      policies: { overlap: o.policies?.overlap ?? 'SKIP', catchupWindow: msToNumber(o.policies?.catchupWindow ?? '365d'), pauseOnFailure: !!o.policies?.pauseOnFailure },
      memo: o.memo,
      searchAttributes: {},
      typedSearchAttributes: new TypedSearchAttributes((s.options.typedSearchAttributes ?? []) as never),
      state: { paused: s.paused, ...(s.note ? { note: s.note } : {}) },
      info: { recentActions: [], nextActionTimes: [], numActionsTaken: 0, numActionsMissedCatchupWindow: 0, numActionsSkippedOverlap: 0, createdAt: new Date(0), lastUpdatedAt: undefined, runningActions: [] },
      raw: {},
    };
  }

  private handle(id: string) {
    const known = () => {
      const s = this.schedules.get(id);
      if (!s) throw new ScheduleNotFoundError('schedule not found', id);
      return s;
    };
    return {
      scheduleId: id,
      describe: async () => this.describe(id),
      update: async (fn: (d: ScheduleDescription) => Omit<ScheduleOptions, 'scheduleId'>) => {
        const s = known();
        const next = fn(this.describe(id));
        this.calls.push(`update ${id}`);
        s.options = { ...s.options, spec: next.spec, action: next.action, policies: next.policies };
        s.paused = !!next.state?.paused;
        s.note = next.state?.note;
      },
      delete: async () => {
        known();
        this.calls.push(`delete ${id}`);
        this.schedules.delete(id);
      },
      pause: async (note?: string) => Object.assign(known(), { paused: true, note }) && void this.calls.push(`pause ${id} ${note}`),
      unpause: async (note?: string) => Object.assign(known(), { paused: false, note }) && void this.calls.push(`unpause ${id} ${note}`),
      trigger: async () => void (known(), this.calls.push(`trigger ${id}`)),
      backfill: async (b: { start: Date; end: Date; overlap?: string }) => void (known(), this.calls.push(`backfill ${id} ${b.start.toISOString()} ${b.end.toISOString()} ${b.overlap}`)),
    };
  }

  readonly client = {
    options: { namespace: 'default' },
    schedule: {
      create: async (options: ScheduleOptions) => {
        if (this.createError) throw this.createError;
        if (this.schedules.has(options.scheduleId)) throw new ScheduleAlreadyRunning('exists', options.scheduleId);
        this.calls.push(`create ${options.scheduleId}`);
        this.schedules.set(options.scheduleId, { options, paused: !!options.state?.paused, note: options.state?.note });
        return this.handle(options.scheduleId);
      },
      getHandle: (id: string) => this.handle(id),
      list: (): AsyncIterable<unknown> => this.list(),
    },
    workflowService: {
      listScheduleMatchingTimes: async (req: { scheduleId: string; startTime: never; endTime: never }) => {
        if (!this.schedules.has(req.scheduleId)) throw Object.assign(new Error('5 NOT_FOUND: schedule not found'), { code: 5 });
        const [from, to] = [tsToDate(req.startTime), tsToDate(req.endTime)];
        return { startTime: this.times.filter((t) => t > from && t <= to).map((t) => msNumberToTs(t.getTime())) };
      },
    },
    workflow: {
      getHandle: () => ({ describe: async () => ({ status: { name: 'COMPLETED' } }) }),
      // Visibility: the runs going now (backfill names those of its range).
      list: (): AsyncIterable<{ workflowId: string }> => (async function* (running: string[]) {
        for (const workflowId of running) yield { workflowId };
      })(this.running),
    },
  };

  private async *list(): AsyncIterable<unknown> {
    for (const id of [...this.schedules.keys()].sort()) {
      const d = this.describe(id);
      yield { scheduleId: id, memo: d.memo, typedSearchAttributes: d.typedSearchAttributes, state: d.state, info: { recentActions: [], nextActionTimes: [] } };
    }
  }

  get asClient(): Client {
    return this.client as unknown as Client;
  }
}
