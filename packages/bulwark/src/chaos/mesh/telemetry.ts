/**
 * In-memory telemetry shared by the demo mesh services and the fault proxies: spans and log lines
 * kept in bounded ring buffers and read back by time (`since`, epoch milliseconds).
 *
 * Propagation: every hop forwards {@link REQUEST_ID_HEADER} (the trace id) and sets
 * {@link PARENT_SPAN_HEADER} to its own span id, so the spans of one request form a tree.
 */

import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Span } from '../analyzer/types.js';

/** Header carrying the request id, used as the trace id. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** Header carrying the caller's span id (the parent of the callee's span). */
export const PARENT_SPAN_HEADER = 'x-bulwark-span';

/** A span as recorded: the analyzer's {@link Span} plus its start time and free-form attributes. */
export interface RecordedSpan extends Span {
  /** Start, epoch milliseconds. */
  start_ms: number;
  attributes?: Record<string, string | number | boolean>;
}

/** Log levels the mesh writes. */
export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

/** One log line. */
export interface LogEntry {
  /** Epoch milliseconds. */
  ts: number;
  level: LogLevel;
  service: string;
  message: string;
  request_id?: string;
}

/**
 * A bounded append-only buffer: the oldest entries are dropped beyond `capacity`.
 *
 * @typeParam T - entry type; entries need a timestamp for {@link RingBuffer.since}
 */
export class RingBuffer<T> {
  private readonly items: T[] = [];

  /**
   * @param capacity - maximum number of entries kept (≥ 1)
   * @param timeOf - the entry's timestamp (epoch ms), for {@link RingBuffer.since}
   */
  constructor(
    private readonly capacity: number,
    private readonly timeOf: (item: T) => number,
  ) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
  }

  /** Appends an entry, dropping the oldest when full. */
  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /**
   * Entries with timestamp ≥ `since` (all when `since` is undefined or not finite), oldest first.
   *
   * @param since - epoch milliseconds
   */
  since(since?: number): T[] {
    if (since === undefined || !Number.isFinite(since)) return [...this.items];
    return this.items.filter((i) => this.timeOf(i) >= since);
  }

  /** Number of entries held. */
  get size(): number {
    return this.items.length;
  }
}

/** Creates a span store (ring buffer keyed by span start). */
export function spanStore(capacity = 100_000): RingBuffer<RecordedSpan> {
  return new RingBuffer<RecordedSpan>(capacity, (s) => s.start_ms);
}

/** Creates a log store (ring buffer keyed by log time). */
export function logStore(capacity = 20_000): RingBuffer<LogEntry> {
  return new RingBuffer<LogEntry>(capacity, (l) => l.ts);
}

/** A new random span id (16 hex characters). */
export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** A new random request id (32 hex characters). */
export function newRequestId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * A single header value: the first one when repeated, `undefined` when absent or empty.
 *
 * @param headers - Node's incoming headers (lower-case names)
 * @param name - lower-case header name
 */
export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Parses the `since` query parameter (epoch ms); `undefined` when absent or not a number.
 *
 * @param value - the raw query value
 */
export function parseSince(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Strips a recorded span down to the analyzer's {@link Span} shape.
 *
 * @param span - a recorded span
 * @returns a new object with only the analyzer's fields
 */
export function toAnalyzerSpan(span: Span): Span {
  const out: Span = {
    trace_id: span.trace_id,
    span_id: span.span_id,
    service: span.service,
    operation: span.operation,
    duration_ms: span.duration_ms,
  };
  if (span.parent_id !== undefined) out.parent_id = span.parent_id;
  if (span.status !== undefined) out.status = span.status;
  return out;
}
