import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { type Clock, systemClock } from './clock.js';
import { EventEmitter } from './events.js';

/**
 * Periodic resource snapshots with thresholds. Above a threshold the guard reports `overloaded`
 * (callers stop taking new work — shed load) and fires `onBreach`; after `restartAfterMs` of
 * continuous breach it fires `onRestartAdvised` so a supervisor can restart the process gracefully.
 *
 * @example
 * const guard = new ResourceGuard({ maxHeapRatio: 0.8, intervalMs: 5000 });
 * guard.onBreach((s) => log.warn(s, 'memory high: not claiming new tasks'));
 * guard.start();
 * if (!guard.overloaded) claimMoreWork();
 */
export interface ResourceSnapshot {
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapLimitBytes: number;
  /** heapUsed / heap limit. */
  heapRatio: number;
  /** rss / memory limit (cgroup or configured), when a limit is known. */
  rssRatio: number | undefined;
  /** p99 event-loop delay over the last interval, ms. */
  eventLoopDelayP99Ms: number;
}

export interface ResourceGuardOptions {
  intervalMs?: number;
  /** Default 0.8. */
  maxHeapRatio?: number;
  /** Applies when `memoryLimitBytes` is set. Default 0.8. */
  maxRssRatio?: number;
  memoryLimitBytes?: number;
  /** Default: no event-loop threshold. */
  maxEventLoopDelayMs?: number;
  restartAfterMs?: number;
  clock?: Clock;
  /** Snapshot source (tests inject one). */
  sample?: () => Omit<ResourceSnapshot, 'at' | 'heapRatio' | 'rssRatio' | 'eventLoopDelayP99Ms'> & {
    eventLoopDelayP99Ms?: number;
  };
}

export class ResourceGuard {
  private readonly clock: Clock;
  private timer: unknown;
  private breachSince: number | undefined;
  private last: ResourceSnapshot | undefined;
  private readonly histogram = monitorEventLoopDelay({ resolution: 20 });
  private readonly breaches = new EventEmitter<{ snapshot: ResourceSnapshot; reasons: string[] }>();
  private readonly recoveries = new EventEmitter<{ snapshot: ResourceSnapshot }>();
  private readonly restarts = new EventEmitter<{ snapshot: ResourceSnapshot; breachedForMs: number }>();
  readonly onBreach = this.breaches.subscribe;
  readonly onRecover = this.recoveries.subscribe;
  readonly onRestartAdvised = this.restarts.subscribe;

  constructor(private readonly options: ResourceGuardOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  get overloaded(): boolean {
    return this.breachSince !== undefined;
  }

  get snapshot(): ResourceSnapshot | undefined {
    return this.last;
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.histogram.enable();
    const tick = () => {
      this.check();
      this.timer = this.clock.setTimeout(tick, this.options.intervalMs ?? 5000);
      (this.timer as { unref?: () => void }).unref?.();
    };
    tick();
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.histogram.disable();
  }

  /** Take one snapshot now and apply the thresholds. */
  check(): ResourceSnapshot {
    const raw = this.options.sample?.() ?? defaultSample(this.histogram);
    const limit = this.options.memoryLimitBytes;
    const snap: ResourceSnapshot = {
      at: this.clock.now(),
      rssBytes: raw.rssBytes,
      heapUsedBytes: raw.heapUsedBytes,
      heapLimitBytes: raw.heapLimitBytes,
      heapRatio: raw.heapLimitBytes > 0 ? raw.heapUsedBytes / raw.heapLimitBytes : 0,
      rssRatio: limit ? raw.rssBytes / limit : undefined,
      eventLoopDelayP99Ms: raw.eventLoopDelayP99Ms ?? 0,
    };
    this.histogram.reset();
    this.last = snap;
    const reasons: string[] = [];
    const maxHeap = this.options.maxHeapRatio ?? 0.8;
    if (snap.heapRatio >= maxHeap) reasons.push(`heap ${(snap.heapRatio * 100).toFixed(1)}% >= ${maxHeap * 100}%`);
    const maxRss = this.options.maxRssRatio ?? 0.8;
    if (snap.rssRatio !== undefined && snap.rssRatio >= maxRss)
      reasons.push(`rss ${(snap.rssRatio * 100).toFixed(1)}% >= ${maxRss * 100}%`);
    const maxLag = this.options.maxEventLoopDelayMs;
    if (maxLag !== undefined && snap.eventLoopDelayP99Ms >= maxLag)
      reasons.push(`event-loop p99 ${snap.eventLoopDelayP99Ms.toFixed(1)} ms >= ${maxLag} ms`);
    if (reasons.length > 0) {
      if (this.breachSince === undefined) this.breachSince = snap.at;
      this.breaches.emit({ snapshot: snap, reasons });
      const since = snap.at - this.breachSince;
      if (this.options.restartAfterMs !== undefined && since >= this.options.restartAfterMs) {
        this.restarts.emit({ snapshot: snap, breachedForMs: since });
      }
    } else if (this.breachSince !== undefined) {
      this.breachSince = undefined;
      this.recoveries.emit({ snapshot: snap });
    }
    return snap;
  }
}

function defaultSample(h: ReturnType<typeof monitorEventLoopDelay>) {
  const mem = process.memoryUsage();
  const p99 = h.percentile(99);
  return {
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    eventLoopDelayP99Ms: Number.isFinite(p99) ? p99 / 1e6 : 0,
  };
}
