import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { exponentialBackoff, retry } from '@bulwark/resilience';
import type { Database } from '../db/types.js';
import { BulwarkError } from '../errors.js';
import { recordCallback } from './store.js';
import type { Task } from './types.js';

/**
 * Completion callbacks: POST the task's outcome to its `callback_url`, signed with HMAC-SHA256,
 * retried with backoff, each delivery attempt recorded on the task.
 *
 * Signature header: `X-Bulwark-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
 * (the timestamp is signed too, so receivers can reject replays older than a few minutes).
 */
export function signCallback(secret: string, body: string, timestampSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${mac}`;
}

const PRIVATE_V4 = [/^10\./, /^127\./, /^169\.254\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^0\./];

/** Scheme allow-list; loopback/private targets only when configured (SSRF protection). */
export function validateCallbackUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BulwarkError('validation_failed', 'body field /callback_url is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new BulwarkError(
      'validation_failed',
      `body field /callback_url must use http or https, not ${url.protocol.replace(':', '')}`,
    );
  }
  if (url.username || url.password) {
    throw new BulwarkError(
      'validation_failed',
      'body field /callback_url must not contain credentials; use the signature header to authenticate',
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isPrivate =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    (isIP(host) === 4 && PRIVATE_V4.some((r) => r.test(host))) ||
    (isIP(host) === 6 && (host === '::1' || /^f[cd]/i.test(host) || /^fe80/i.test(host)));
  if (isPrivate && !allowPrivate) {
    throw new BulwarkError(
      'validation_failed',
      `body field /callback_url points at a loopback or private address (${host}); set BULWARK_ALLOW_PRIVATE_CALLBACKS=true to allow it`,
    );
  }
  return url;
}

export interface CallbackSender {
  deliver(task: Task): Promise<void>;
}

export function createCallbackSender(o: {
  db: Database;
  secret: string | undefined;
  maxAttempts?: number;
  initialDelayMs?: number;
  timeoutMs?: number;
}): CallbackSender {
  return {
    async deliver(task) {
      if (!task.callback_url) return;
      const body = JSON.stringify({
        task_id: task.id,
        kind: task.kind,
        problem_id: task.problem_id,
        status: task.status,
        attempts: task.attempts,
        result: task.result ?? null,
        error_details: task.error_details ?? null,
        metrics: task.metrics,
        completed_at: task.completed_at,
      });
      const policy = retry({
        maxAttempts: o.maxAttempts ?? 5,
        backoff: exponentialBackoff({ initialMs: o.initialDelayMs ?? 1000, maxMs: 60_000 }),
        attemptTimeoutMs: o.timeoutMs ?? 10_000,
      });
      await policy
        .execute(async ({ signal, attempt }) => {
          const ts = Math.floor(Date.now() / 1000);
          const headers: Record<string, string> = { 'content-type': 'application/json', 'x-bulwark-task-id': task.id };
          if (o.secret) headers['x-bulwark-signature'] = signCallback(o.secret, body, ts);
          try {
            const res = await fetch(task.callback_url as string, {
              method: 'POST',
              body,
              headers,
              signal,
              redirect: 'manual',
            });
            await res.body?.cancel();
            const delivered = res.status >= 200 && res.status < 300;
            await recordCallback(o.db, {
              taskId: task.id,
              attempt,
              statusCode: res.status,
              error: delivered ? null : `HTTP ${res.status}`,
              delivered,
            });
            if (!delivered)
              throw Object.assign(new Error(`callback answered HTTP ${res.status}`), {
                status: res.status,
                headers: res.headers,
              });
          } catch (err) {
            if ((err as { status?: number }).status === undefined) {
              await recordCallback(o.db, {
                taskId: task.id,
                attempt,
                statusCode: null,
                error: err instanceof Error ? err.message : String(err),
                delivered: false,
              });
            }
            throw err;
          }
        })
        .catch(() => {
          // Every attempt is recorded on the task; a receiver that never answers does not fail the task.
        });
    },
  };
}
