import { type Clock, linkSignals, systemClock } from '../clock.js';
import { EventEmitter } from '../events.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

/** A check resolves when the endpoint is fine (optionally reporting `degraded`), throws when not. */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => {}` checks must stay assignable (Promise<void>)
export type HealthCheck = (signal: AbortSignal) => Promise<void | { degraded?: boolean; detail?: string }>;

export interface EndpointHealthOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /** Consecutive failures before unhealthy (fewer make it degraded). Default 3. */
  unhealthyThreshold?: number;
  /** Consecutive successes before healthy again. Default 1. */
  healthyThreshold?: number;
  /** A successful check slower than this reports degraded. */
  degradedLatencyMs?: number;
}

export interface EndpointHealth {
  id: string;
  status: HealthStatus;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastCheckedAt: number | undefined;
  lastLatencyMs: number | undefined;
  lastError: string | undefined;
}

export interface StatusChange {
  id: string;
  from: HealthStatus;
  to: HealthStatus;
  detail?: string;
}

interface Entry {
  check: HealthCheck;
  options: Required<Omit<EndpointHealthOptions, 'degradedLatencyMs'>> & { degradedLatencyMs: number };
  health: EndpointHealth;
  timer: unknown;
  running: boolean;
}

/**
 * Periodic health checks per endpoint (an AI model, a replica, a region), with thresholds and
 * change notifications; fallback routing skips unhealthy endpoints.
 *
 * @example
 * const health = new HealthChecker();
 * health.register('gpt-4o', httpCheck('https://llm.internal/healthz'), { intervalMs: 30_000 });
 * health.onStatusChange(({ id, from, to }) => alert(`${id}: ${from} -> ${to}`));
 * health.start();
 * health.byStatus('healthy'); // ['gpt-4o', …]
 */
export class HealthChecker {
  private readonly entries = new Map<string, Entry>();
  private readonly changes = new EventEmitter<StatusChange>();
  private started = false;
  readonly onStatusChange = this.changes.subscribe;

  constructor(
    private readonly defaults: EndpointHealthOptions = {},
    private readonly clock: Clock = systemClock,
  ) {}

  register(id: string, check: HealthCheck, options: EndpointHealthOptions = {}): void {
    const o = { ...this.defaults, ...options };
    const entry: Entry = {
      check,
      options: {
        intervalMs: o.intervalMs ?? 30_000,
        timeoutMs: o.timeoutMs ?? 5_000,
        unhealthyThreshold: Math.max(1, o.unhealthyThreshold ?? 3),
        healthyThreshold: Math.max(1, o.healthyThreshold ?? 1),
        degradedLatencyMs: o.degradedLatencyMs ?? Number.POSITIVE_INFINITY,
      },
      health: {
        id,
        status: 'unknown',
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        lastCheckedAt: undefined,
        lastLatencyMs: undefined,
        lastError: undefined,
      },
      timer: undefined,
      running: false,
    };
    this.unregister(id);
    this.entries.set(id, entry);
    if (this.started) this.schedule(entry, 0);
  }

  unregister(id: string): void {
    const e = this.entries.get(id);
    if (e?.timer !== undefined) this.clock.clearTimeout(e.timer);
    this.entries.delete(id);
  }

  status(id: string): HealthStatus {
    return this.entries.get(id)?.health.status ?? 'unknown';
  }

  get(id: string): EndpointHealth | undefined {
    const e = this.entries.get(id);
    return e ? { ...e.health } : undefined;
  }

  byStatus(...statuses: HealthStatus[]): string[] {
    return [...this.entries.values()].filter((e) => statuses.includes(e.health.status)).map((e) => e.health.id);
  }

  /** Start periodic checks (the first runs at once). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const e of this.entries.values()) this.schedule(e, 0);
  }

  stop(): void {
    this.started = false;
    for (const e of this.entries.values()) {
      if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
      e.timer = undefined;
    }
  }

  /** Run the check of one endpoint (or all) now. */
  async checkNow(id?: string): Promise<void> {
    const targets =
      id === undefined ? [...this.entries.values()] : [this.entries.get(id)].filter((e): e is Entry => !!e);
    await Promise.all(targets.map((e) => this.run(e)));
  }

  /** Feed a passive observation (a real call's outcome) into the same thresholds. */
  report(id: string, ok: boolean, detail?: string): void {
    const e = this.entries.get(id);
    if (e) this.apply(e, ok ? 'ok' : 'fail', undefined, detail);
  }

  private schedule(e: Entry, delay: number): void {
    e.timer = this.clock.setTimeout(() => {
      void this.run(e).finally(() => {
        if (this.started && this.entries.get(e.health.id) === e) this.schedule(e, e.options.intervalMs);
      });
    }, delay);
    (e.timer as { unref?: () => void } | undefined)?.unref?.();
  }

  private async run(e: Entry): Promise<void> {
    if (e.running) return;
    e.running = true;
    const started = this.clock.now();
    const link = linkSignals();
    const timer = this.clock.setTimeout(
      () => link.controller.abort(new Error(`health check timed out after ${e.options.timeoutMs} ms`)),
      e.options.timeoutMs,
    );
    try {
      const result = await Promise.race([
        e.check(link.signal),
        new Promise<never>((_, reject) =>
          link.signal.addEventListener('abort', () => reject(link.signal.reason), { once: true }),
        ),
      ]);
      const latency = this.clock.now() - started;
      e.health.lastLatencyMs = latency;
      const degraded =
        (result && typeof result === 'object' && result.degraded === true) || latency > e.options.degradedLatencyMs;
      this.apply(
        e,
        degraded ? 'degraded' : 'ok',
        latency,
        result && typeof result === 'object' ? result.detail : undefined,
      );
    } catch (err) {
      this.apply(e, 'fail', undefined, err instanceof Error ? err.message : String(err));
    } finally {
      this.clock.clearTimeout(timer);
      e.running = false;
      e.health.lastCheckedAt = this.clock.now();
    }
  }

  private apply(
    e: Entry,
    outcome: 'ok' | 'degraded' | 'fail',
    _latency: number | undefined,
    detail: string | undefined,
  ): void {
    const h = e.health;
    let next: HealthStatus = h.status;
    if (outcome === 'fail') {
      h.consecutiveFailures++;
      h.consecutiveSuccesses = 0;
      h.lastError = detail;
      next =
        h.consecutiveFailures >= e.options.unhealthyThreshold
          ? 'unhealthy'
          : h.status === 'unhealthy'
            ? 'unhealthy'
            : 'degraded';
    } else {
      h.consecutiveSuccesses++;
      h.consecutiveFailures = 0;
      if (outcome === 'degraded') next = 'degraded';
      else if (
        h.status === 'unknown' ||
        h.status === 'degraded' ||
        h.consecutiveSuccesses >= e.options.healthyThreshold
      )
        next = 'healthy';
    }
    if (next !== h.status) {
      const from = h.status;
      h.status = next;
      this.changes.emit(detail === undefined ? { id: h.id, from, to: next } : { id: h.id, from, to: next, detail });
    }
  }
}
