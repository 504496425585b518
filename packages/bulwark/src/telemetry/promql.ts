import { BulwarkError } from '../errors.js';
import { SERVICE_ID_PATTERN } from '../service-id.js';

/**
 * PromQL construction with label values validated and escaped — no PromQL injection — and
 * personal data refused as label values (SEC-008: e-mail addresses, IP addresses, UUID-like user ids).
 */
const PII: Array<[RegExp, string]> = [
  [/[^@\s]+@[^@\s]+\.[a-z]{2,}/i, 'an e-mail address'],
  [/\b(?:\d{1,3}\.){3}\d{1,3}\b/, 'an IPv4 address'],
  [/\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b/i, 'an IPv6 address'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i, 'a UUID-like identifier'],
];

/** A service label value safe to put in a selector, or a 400 naming what is wrong. */
export function serviceLabel(value: string): string {
  for (const [re, what] of PII) {
    if (re.test(value)) {
      throw new BulwarkError(
        'validation_failed',
        `label value looks like ${what}; personal data is never sent to Prometheus (SEC-008)`,
      );
    }
  }
  if (!SERVICE_ID_PATTERN.test(value)) {
    throw new BulwarkError(
      'validation_failed',
      `'${value.slice(0, 80)}' is not a valid service name (letters, digits and . _ : / - only)`,
    );
  }
  return escapeLabelValue(value);
}

/** Escape a value for a double-quoted PromQL string. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Query templates; `$service` is replaced by the escaped label value, `$window` by a duration. */
export interface QueryTemplates {
  total: string;
  good: string;
  latencyQuantile: string;
  latencyCount: string;
  edges: string;
  failedEdges: string;
  /** Per-service totals for bulk summaries (`service` label in the result). */
  totalByService: string;
  goodByService: string;
}

/** Defaults matching the metric names of Bulwark's synthetic OpenMetrics and common HTTP exporters. */
export const DEFAULT_QUERIES: QueryTemplates = {
  total: 'sum(increase(http_requests_total{service="$service"}[$window]))',
  good: 'sum(increase(http_requests_total{service="$service",code!~"5.."}[$window]))',
  latencyQuantile:
    'histogram_quantile($quantile, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[$window]))) * 1000',
  latencyCount: 'sum(increase(http_request_duration_seconds_count{service="$service"}[$window]))',
  edges: 'sum by (client, server) (rate(traces_service_graph_request_total[$window]))',
  failedEdges: 'sum by (client, server) (rate(traces_service_graph_request_failed_total[$window]))',
  totalByService: 'sum by (service) (increase(http_requests_total[$window]))',
  goodByService: 'sum by (service) (increase(http_requests_total{code!~"5.."}[$window]))',
};

export function render(template: string, vars: { service?: string; window: string; quantile?: number }): string {
  if (!/^\d+[smhdw]$/.test(vars.window)) throw new Error(`invalid PromQL duration '${vars.window}'`);
  let q = template.replaceAll('$window', vars.window);
  if (vars.service !== undefined) q = q.replaceAll('$service', serviceLabel(vars.service));
  if (vars.quantile !== undefined) q = q.replaceAll('$quantile', String(vars.quantile));
  return q;
}

/** Seconds as a PromQL duration (whole seconds, minutes or hours). */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${Math.round(seconds)}s`;
}
