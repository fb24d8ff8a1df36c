/**
 * Writes a run's report as JSON beside its staged data (`<pipeline>/<workflowId>/report.json`):
 * the audit record of every run, failed and cancelled ones included. It is the workflow's report
 * plus what is worked out from it — rows in and out per stage and dataset (`flow`), the anomalies
 * found — and where it lies (`record.reportUri`). The run's profiles go to the history anomaly rules
 * read (src/quality/history.ts). Returns the report's URI.
 *
 *   const uri = await writeRunReport(staging, input, workdir);   // s3://bucket/ferry/retail/retail-2024-01-05/report.json
 *
 * No secret can be in it: the plan carries `${env:…}` references, never their values, params are
 * the pipeline's plain values, and every string is masked against the secrets this worker resolved.
 */
import type { StagingStore } from '../staging/store.js';
import { safeSegment } from '../staging/store.js';
import type { FinishRunInput, RunReport, RuleOutcome } from '../run.js';
import { maskSecrets } from '../pipeline/interpolate.js';
import { recordHistory } from '../quality/history.js';
import { stageFlow, type StageFlow } from './flow.js';

export const REPORT_FILE = 'report.json';

export const reportKey = (pipeline: string, workflowId: string): string => `${pipeline}/${safeSegment(workflowId)}/${REPORT_FILE}`;

/** report.json: the run's report, rows in/out per stage, the anomalies found, and where it is. */
export type RunReportFile = Omit<RunReport, 'record'> & {
  flow: StageFlow[];
  /** Anomaly rules that found the metric far from its usual range (all anomaly checks are in quality.outcomes). */
  anomalies: RuleOutcome[];
  record: { reportUri: string; history: string[] };
};

export async function writeRunReport(staging: StagingStore, input: FinishRunInput, _workdir: string): Promise<string> {
  const key = reportKey(input.pipeline, input.run.key);
  const reportUri = staging.uri(key);
  const history = await recordHistory(staging, input);
  await staging.writeText(key, reportJson(reportFile(input.report, reportUri, history)));
  return reportUri;
}

export function reportFile(report: RunReport, reportUri: string, history: string[] = []): RunReportFile {
  const { record: _record, ...rest } = report;
  return {
    ...rest,
    flow: stageFlow(report),
    anomalies: (report.quality?.outcomes ?? []).filter((o) => o.rule === 'anomaly' && o.status === 'failed'),
    record: { reportUri, history },
  };
}

/** Pretty JSON (people read it), each string masked against the secrets the worker resolved. */
export const reportJson = (file: RunReportFile): string =>
  `${JSON.stringify(file, (_key, v: unknown) => (typeof v === 'string' ? maskSecrets(v) : v), 2)}\n`;
