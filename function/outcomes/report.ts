// Says what a verdict decided, once per object or message: a log line with
// the reason, and a metric (the acknowledged case's own count, or Failures
// by FailureType).
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { Verdict } from "./failure-policy";

export function reportVerdict(
  logger: Logger,
  metrics: Metrics,
  verdict: Verdict,
  fields: Record<string, unknown>,
  error: unknown,
): void {
  if (verdict.disposition === "acknowledge") {
    logger.warn(`skipped: ${verdict.reason}`, {
      ...fields,
      outcome: verdict.outcome,
      failureType: verdict.failureType,
    });
    if (verdict.metric) metrics.addMetric(verdict.metric, MetricUnit.Count, 1);
    return;
  }
  logger.error("failed", {
    ...fields,
    outcome: "failed",
    failureType: verdict.failureType,
    disposition: verdict.disposition,
    error: error as Error,
  });
  metrics
    .singleMetric()
    .addDimension("FailureType", verdict.failureType)
    .addMetric("Failures", MetricUnit.Count, 1);
}
