/**
 * The executor contract (wire format, snake_case): run request, run response and health, with the
 * zod schema that validates run requests. Any executor implementing this contract can be driven by
 * {@link ExecutorClient}; the OpenAPI document in openapi.ts describes the same shapes.
 */

import { z } from 'zod';
import type { Observation } from '../analyzer/types.js';
import type { FaultMatch, FaultPlan } from '../space/plan.js';
import { FAULT_TYPES, PLAN_FALLBACKS } from '../space/types.js';

/** Limits enforced on run requests. */
export const RUN_LIMITS = {
  maxPlans: 32,
  maxPhaseSeconds: 600,
  maxRps: 2_000,
  maxRequests: 200_000,
  maxDelayMs: 120_000,
  maxTimeoutMs: 120_000,
  defaultTimeoutMs: 3_000,
} as const;

/** Load to drive at the entry service. */
export interface LoadSpec {
  rps: number;
  path: string;
  method: string;
  /** Per-request timeout (ms, default {@link RUN_LIMITS.defaultTimeoutMs}). */
  timeout_ms?: number;
  headers?: Record<string, string>;
  /** JSON body sent with each request. */
  body?: unknown;
}

/** `POST /runs` body. */
export interface RunRequest {
  plans: FaultPlan[];
  /** Seconds of load with the faults installed. */
  duration_s: number;
  load: LoadSpec;
  /** Seconds of load before the faults (default 0: no baseline sample). */
  baseline_s?: number;
  /** Seconds of load after the faults are cleared (default 0: no recovery sample). */
  recovery_s?: number;
}

/** `POST /runs` response. */
export interface RunResponse {
  run_id: string;
  observation: Observation;
  /** Non-fatal problems (e.g. a service whose spans could not be read). */
  warnings: string[];
}

/** Health of one service behind the executor. */
export interface ServiceHealth {
  /** The real service. */
  target: string;
  /** The fault proxy in front of it. */
  proxy: string;
  up: boolean;
}

/** `GET /health` response. */
export interface ExecutorHealth {
  status: 'ok' | 'degraded';
  entry: string;
  busy: boolean;
  services: Record<string, ServiceHealth>;
}

const nonNegative = (max: number) => z.number().finite().min(0).max(max);

const matchSchema = z
  .object({
    method: z.string().min(1).max(16).optional(),
    path_prefix: z.string().startsWith('/').max(2048).optional(),
    headers: z.record(z.string().min(1), z.string()).optional(),
  })
  .strict();

const faultSchema = z
  .object({
    type: z.enum(FAULT_TYPES as unknown as ['abort', 'delay', 'both']),
    abort_status: z.number().int().min(200).max(599).optional(),
    delay_ms: nonNegative(RUN_LIMITS.maxDelayMs).optional(),
  })
  .strict();

/** One fault plan on the wire; `start_delay_s` defaults to 0 and `duration_s` to the run's duration. */
export const faultPlanSchema = z
  .object({
    target_service: z.string().min(1),
    match: matchSchema.optional(),
    fault: faultSchema,
    percentage: nonNegative(100),
    start_delay_s: nonNegative(RUN_LIMITS.maxPhaseSeconds).optional(),
    duration_s: nonNegative(RUN_LIMITS.maxPhaseSeconds * 10).optional(),
  })
  .strict();

/** `POST /runs` body schema. */
export const runRequestSchema = z
  .object({
    plans: z.array(faultPlanSchema).max(RUN_LIMITS.maxPlans),
    duration_s: z.number().finite().positive().max(RUN_LIMITS.maxPhaseSeconds),
    load: z
      .object({
        rps: z.number().finite().positive().max(RUN_LIMITS.maxRps),
        path: z.string().startsWith('/').max(2048),
        method: z
          .string()
          .regex(/^[A-Za-z]+$/, 'must be an HTTP method')
          .max(16)
          .default('GET'),
        timeout_ms: z.number().int().min(1).max(RUN_LIMITS.maxTimeoutMs).optional(),
        headers: z.record(z.string().min(1), z.string()).optional(),
        body: z.unknown().optional(),
      })
      .strict(),
    baseline_s: nonNegative(RUN_LIMITS.maxPhaseSeconds).optional(),
    recovery_s: nonNegative(RUN_LIMITS.maxPhaseSeconds).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seconds = body.duration_s + (body.baseline_s ?? 0) + (body.recovery_s ?? 0);
    if (seconds * body.load.rps > RUN_LIMITS.maxRequests) {
      ctx.addIssue({
        code: 'custom',
        path: ['load', 'rps'],
        message: `rps × total seconds must be at most ${RUN_LIMITS.maxRequests} requests`,
      });
    }
  });

/** A validation failure, located. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** Result of {@link parseRunRequest}. */
export type ParseResult = { ok: true; value: RunRequest } | { ok: false; issues: ValidationIssue[] };

function toPlan(p: z.infer<typeof faultPlanSchema>, runDuration: number): FaultPlan {
  const plan: FaultPlan = {
    target_service: p.target_service,
    fault: { type: p.fault.type },
    percentage: p.percentage,
    start_delay_s: p.start_delay_s ?? 0,
    duration_s: p.duration_s ?? runDuration,
  };
  if (p.fault.type !== 'delay') plan.fault.abort_status = p.fault.abort_status ?? PLAN_FALLBACKS.abort_status;
  if (p.fault.type !== 'abort') plan.fault.delay_ms = p.fault.delay_ms ?? PLAN_FALLBACKS.delay_ms;
  if (p.match) {
    const match: FaultMatch = {};
    if (p.match.method !== undefined) match.method = p.match.method;
    if (p.match.path_prefix !== undefined) match.path_prefix = p.match.path_prefix;
    if (p.match.headers !== undefined) match.headers = { ...p.match.headers };
    plan.match = match;
  }
  return plan;
}

/**
 * Validates and normalises a run request (defaults applied: `start_delay_s` 0, `duration_s` = run
 * duration, `abort_status` 503, `delay_ms` 100, `load.method` GET).
 *
 * @param input - the parsed JSON body
 * @param services - when given, every plan's `target_service` must be one of them
 * @returns the normalised request, or the issues
 */
export function parseRunRequest(input: unknown, services?: readonly string[]): ParseResult {
  const parsed = runRequestSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => ({
        path: i.path.length > 0 ? i.path.map(String).join('.') : '(body)',
        message: i.message,
      })),
    };
  }
  const body = parsed.data;
  if (services) {
    const issues = body.plans.flatMap((p, i) =>
      services.includes(p.target_service)
        ? []
        : [
            {
              path: `plans.${i}.target_service`,
              message: `unknown service '${p.target_service}' (known: ${services.join(', ')})`,
            },
          ],
    );
    if (issues.length > 0) return { ok: false, issues };
  }
  const load: LoadSpec = { rps: body.load.rps, path: body.load.path, method: body.load.method.toUpperCase() };
  if (body.load.timeout_ms !== undefined) load.timeout_ms = body.load.timeout_ms;
  if (body.load.headers !== undefined) load.headers = { ...body.load.headers };
  if (body.load.body !== undefined) load.body = body.load.body;
  const value: RunRequest = {
    plans: body.plans.map((p) => toPlan(p, body.duration_s)),
    duration_s: body.duration_s,
    load,
  };
  if (body.baseline_s !== undefined) value.baseline_s = body.baseline_s;
  if (body.recovery_s !== undefined) value.recovery_s = body.recovery_s;
  return { ok: true, value };
}
