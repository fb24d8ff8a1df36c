/**
 * Ferry's custom search attributes: set on every run (by the client at start and by the workflow
 * itself, so runs started by a schedule or another program have them too), so `ferry runs` and the
 * Temporal UI filter by the same fields: `FerryPipeline = 'retail' AND FerryTrigger = 'schedule'`.
 *
 * They must be registered once per namespace: `ferry dev` and `scripts/services.sh` do it for the
 * dev server; on a production cluster run
 *
 *   temporal operator search-attribute create --namespace <ns> \
 *     --name FerryPipeline --type Keyword --name FerryRunDate --type Keyword --name FerryTrigger --type Keyword \
 *     --name FerryGate --type Keyword
 *
 * Imported by workflow code: no side effects, only key definitions.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const FERRY_PIPELINE = defineSearchAttributeKey('FerryPipeline', SearchAttributeType.KEYWORD);
/** The logical run date, `YYYY-MM-DD` in the schedule's time zone (see RunContext). */
export const FERRY_RUN_DATE = defineSearchAttributeKey('FerryRunDate', SearchAttributeType.KEYWORD);
/** cli, schedule, client or retry. */
export const FERRY_TRIGGER = defineSearchAttributeKey('FerryTrigger', SearchAttributeType.KEYWORD);
/**
 * The human gate (workflows/gate.ts): 'waiting' while a run waits for a decision, then the decision
 * (approve, reject, quarantine), or 'cancelled'; unset on runs that never asked. `FerryGate = 'waiting'
 * AND ExecutionStatus = 'Running'` lists the runs waiting now (a terminated waiting run keeps 'waiting').
 */
export const FERRY_GATE = defineSearchAttributeKey('FerryGate', SearchAttributeType.KEYWORD);

/** Set by Temporal on a run a schedule started: its nominal (scheduled) time. */
export const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Name → type, for registering them (`temporal operator search-attribute create`, the dev server's `--search-attribute`). */
export const FERRY_SEARCH_ATTRIBUTES = { FerryPipeline: 'Keyword', FerryRunDate: 'Keyword', FerryTrigger: 'Keyword', FerryGate: 'Keyword' } as const;
