import { z } from 'zod';
import { loadConfigFile } from '../../config-file.js';
import { PermanentTaskError, type TaskHandler } from '../types.js';

/**
 * The `http` handler calls an endpoint the operator configured by name (never an arbitrary URL
 * from the request) and records the response.
 */
export const httpTargetsSchema = z.record(
  z.string(),
  z.object({
    url: z.url(),
    method: z.enum(['GET', 'POST', 'PUT']).default('POST'),
    headers: z.record(z.string(), z.string()).default({}),
  }),
);
export type HttpTargets = z.infer<typeof httpTargetsSchema>;

/** Read BULWARK_HTTP_TARGETS (YAML or JSON: `{ name: { url, method?, headers? } }`). */
export function loadHttpTargets(path: string): Promise<HttpTargets> {
  return loadConfigFile(path, httpTargetsSchema, 'http targets');
}

export function httpHandler(targets: HttpTargets): TaskHandler {
  return async (payload, ctx) => {
    const name = typeof payload.target === 'string' ? payload.target : undefined;
    const target = name ? targets[name] : undefined;
    if (!target) throw new PermanentTaskError(`http target '${name}' is not configured`);
    const res = await fetch(target.url, {
      method: target.method,
      headers: { 'content-type': 'application/json', ...target.headers },
      ...(target.method === 'GET' ? {} : { body: JSON.stringify(payload.body ?? {}) }),
      signal: ctx.signal,
    });
    const text = await res.text();
    ctx.log(res.ok ? 'info' : 'warn', `${target.method} ${target.url} -> ${res.status}`);
    if (!res.ok)
      throw Object.assign(new Error(`${name} answered HTTP ${res.status}`), {
        status: res.status,
        headers: res.headers,
      });
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body };
  };
}
