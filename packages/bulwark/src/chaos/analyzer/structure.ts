/**
 * Structure scorer: did the call structure (trace span trees) change under the fault?
 *
 * Each window's spans are grouped into traces and summarised: services, (service, operation)
 * pairs with the share of traces containing them, spans per trace, repeats per trace (spans beyond
 * the first with the same trace + parent + service + operation — retries) and mean tree depth.
 * Signals, each in [0, 10]:
 *
 *   s_missing = 10 · (1 − 0.6^(m_s + 0.5 · m_o))   m_s missing services, m_o missing operations of
 *               services still present; only pairs seen in ≥ 5 % of baseline traces count
 *   s_retry   = 10 · (1 − e^(−x / 2))             x = excess repeats per trace over the baseline
 *   s_fanout  = clamp(5 · (g − 1), 0, 10)          g = spans per trace during / baseline
 *   s_depth   = min(5, 2.5 · |Δ mean depth|)
 *   s_new     = 4 · (1 − 0.5^k)                    k = operations absent from the baseline
 *   structure score = max of the signals
 *
 * Without baseline spans only retries can be judged, against 0 and halved (a loop calling the same
 * operation looks like a retry). Missing data: no usable spans during the fault → `missing`.
 * Malformed spans (missing ids, service or operation) are skipped; parent cycles are cut.
 * Linear in the number of spans.
 */

import { clamp } from './stats.js';
import type { ComponentScore, Sample, Span } from './types.js';

/** Share of baseline traces an operation must appear in for its absence to count. */
export const MIN_BASELINE_SHARE = 0.05;

/** Summary of one window's spans. */
export interface TraceSummary {
  traces: number;
  spans: number;
  /** Skipped malformed spans. */
  invalid: number;
  services: Set<string>;
  /** `service␟operation` → number of traces containing it. */
  operations: Map<string, number>;
  /** Σ over (trace, parent, service, operation) groups of (count − 1). */
  repeats: number;
  /** Mean over traces of the deepest span's depth (a root has depth 1). */
  meanDepth: number;
}

const SEP = '\u001f';

/** Whether a value has the fields of a span (trace, span, service, operation; optional parent). */
export function validSpan(x: unknown): x is Span {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    typeof s.trace_id === 'string' &&
    typeof s.span_id === 'string' &&
    typeof s.service === 'string' &&
    typeof s.operation === 'string' &&
    (s.parent_id === undefined || s.parent_id === null || typeof s.parent_id === 'string')
  );
}

function maxDepth(spans: readonly Span[]): number {
  const parentOf = new Map<string, string | undefined>();
  for (const s of spans) parentOf.set(s.span_id, s.parent_id ?? undefined);
  const depth = new Map<string, number>();
  let deepest = 0;
  for (const s of spans) {
    // Walk up to a span of known depth, a root, or a cycle; then assign depths on the way down.
    const path: string[] = [];
    const onPath = new Set<string>();
    let id: string | undefined = s.span_id;
    let base = 0;
    while (id !== undefined) {
      const known = depth.get(id);
      if (known !== undefined) {
        base = known;
        break;
      }
      if (onPath.has(id)) break; // cycle: treat the repeated span as a root
      path.push(id);
      onPath.add(id);
      const parent = parentOf.get(id);
      id = parent !== undefined && parentOf.has(parent) ? parent : undefined;
    }
    for (let i = path.length - 1; i >= 0; i -= 1) {
      base += 1;
      depth.set(path[i] as string, base);
    }
    deepest = Math.max(deepest, depth.get(s.span_id) ?? 0);
  }
  return deepest;
}

/**
 * Summarises the spans of one window.
 *
 * @param spans - possibly malformed spans
 * @returns the summary (`traces` 0 when there is nothing usable)
 */
export function summarizeTraces(spans: readonly unknown[] | undefined): TraceSummary {
  const byTrace = new Map<string, Span[]>();
  let invalid = 0;
  let count = 0;
  for (const s of Array.isArray(spans) ? spans : []) {
    if (!validSpan(s)) {
      invalid += 1;
      continue;
    }
    count += 1;
    const list = byTrace.get(s.trace_id);
    if (list) list.push(s);
    else byTrace.set(s.trace_id, [s]);
  }
  const services = new Set<string>();
  const operations = new Map<string, number>();
  let repeats = 0;
  let depthSum = 0;
  for (const list of byTrace.values()) {
    const seenOps = new Set<string>();
    const groups = new Map<string, number>();
    for (const s of list) {
      services.add(s.service);
      const op = s.service + SEP + s.operation;
      seenOps.add(op);
      const key = (s.parent_id ?? '') + SEP + op;
      const n = (groups.get(key) ?? 0) + 1;
      groups.set(key, n);
      if (n > 1) repeats += 1;
    }
    for (const op of seenOps) operations.set(op, (operations.get(op) ?? 0) + 1);
    depthSum += maxDepth(list);
  }
  const traces = byTrace.size;
  return {
    traces,
    spans: count,
    invalid,
    services,
    operations,
    repeats,
    meanDepth: traces > 0 ? depthSum / traces : 0,
  };
}

const fmt = (x: number): string => (Math.round(x * 100) / 100).toString();
const opName = (op: string): string => op.replace(SEP, ' ');

/**
 * Scores changes of the call structure during the fault against the baseline.
 *
 * @param during - the window while the fault was applied
 * @param baseline - the window before (optional)
 * @returns score in [0, 10]; details `traces`, `spans_per_trace`, `retries_per_trace`,
 *   `mean_depth`, the `baseline_` counterparts, `missing_services`, `missing_operations`,
 *   `new_operations`, `fanout_growth` and the per-signal scores
 */
export function scoreStructure(during: Sample | undefined, baseline?: Sample): ComponentScore {
  const d = summarizeTraces(during?.spans);
  if (d.traces === 0) {
    return { score: 0, evidence: ['no spans during the fault'], details: { invalid_spans: d.invalid }, missing: true };
  }
  const b = summarizeTraces(baseline?.spans);
  const perTrace = (s: TraceSummary, n: number): number => (s.traces > 0 ? n / s.traces : 0);
  const details: Record<string, number> = {
    traces: d.traces,
    spans_per_trace: perTrace(d, d.spans),
    retries_per_trace: perTrace(d, d.repeats),
    mean_depth: d.meanDepth,
    invalid_spans: d.invalid,
  };
  const evidence: Array<{ score: number; text: string }> = [];

  if (b.traces === 0) {
    const retries = perTrace(d, d.repeats);
    const sRetry = 0.5 * 10 * (1 - Math.exp(-retries / 2));
    details.score_retry = sRetry;
    evidence.push({
      score: sRetry,
      text: `${fmt(retries)} repeated spans per trace (no baseline spans: only retries judged, at half weight)`,
    });
    return { score: clamp(sRetry, 0, 10), evidence: evidence.map((e) => e.text), details };
  }

  const missingServices = [...b.services].filter((s) => !d.services.has(s));
  const missingOps: string[] = [];
  for (const [op, traces] of b.operations) {
    const service = op.slice(0, op.indexOf(SEP));
    if (!d.operations.has(op) && d.services.has(service) && traces / b.traces >= MIN_BASELINE_SHARE) {
      missingOps.push(op);
    }
  }
  const significantMissingServices = missingServices.filter((svc) => {
    let share = 0;
    for (const [op, traces] of b.operations) if (op.startsWith(svc + SEP)) share = Math.max(share, traces / b.traces);
    return share >= MIN_BASELINE_SHARE;
  });
  const newOps = [...d.operations.keys()].filter((op) => !b.operations.has(op));

  const sMissing = 10 * (1 - 0.6 ** (significantMissingServices.length + 0.5 * missingOps.length));
  const excessRetries = Math.max(0, perTrace(d, d.repeats) - perTrace(b, b.repeats));
  const sRetry = 10 * (1 - Math.exp(-excessRetries / 2));
  const baseSpans = perTrace(b, b.spans);
  const growth = baseSpans > 0 ? perTrace(d, d.spans) / baseSpans : 1;
  const sFanout = clamp(5 * (growth - 1), 0, 10);
  const depthChange = d.meanDepth - b.meanDepth;
  const sDepth = Math.min(5, 2.5 * Math.abs(depthChange));
  const sNew = 4 * (1 - 0.5 ** newOps.length);

  Object.assign(details, {
    baseline_traces: b.traces,
    baseline_spans_per_trace: baseSpans,
    baseline_retries_per_trace: perTrace(b, b.repeats),
    baseline_mean_depth: b.meanDepth,
    missing_services: significantMissingServices.length,
    missing_operations: missingOps.length,
    new_operations: newOps.length,
    fanout_growth: growth,
    score_missing: sMissing,
    score_retry: sRetry,
    score_fanout: sFanout,
    score_depth: sDepth,
    score_new: sNew,
  });

  if (sMissing > 0) {
    const parts = [
      ...(significantMissingServices.length > 0 ? [`services ${significantMissingServices.join(', ')}`] : []),
      ...(missingOps.length > 0 ? [`operations ${missingOps.map(opName).join(', ')}`] : []),
    ];
    evidence.push({ score: sMissing, text: `missing vs baseline: ${parts.join('; ')}` });
  }
  if (sRetry > 0) {
    evidence.push({
      score: sRetry,
      text: `retries: ${fmt(perTrace(d, d.repeats))} repeated spans per trace (baseline ${fmt(perTrace(b, b.repeats))})`,
    });
  }
  if (sFanout > 0) {
    evidence.push({
      score: sFanout,
      text: `fan-out ${fmt(growth)}× spans per trace (${fmt(perTrace(d, d.spans))} vs ${fmt(baseSpans)})`,
    });
  }
  if (sDepth > 0) {
    evidence.push({ score: sDepth, text: `call depth ${fmt(b.meanDepth)} → ${fmt(d.meanDepth)}` });
  }
  if (sNew > 0) {
    evidence.push({ score: sNew, text: `new operations: ${newOps.map(opName).join(', ')}` });
  }
  evidence.sort((x, y) => y.score - x.score);
  const score = clamp(Math.max(sMissing, sRetry, sFanout, sDepth, sNew), 0, 10);
  return {
    score,
    evidence: evidence.length > 0 ? evidence.map((e) => e.text) : ['call structure unchanged'],
    details,
  };
}
