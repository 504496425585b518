/**
 * The CLI's client for a running Bulwark server: BULWARK_URL (default http://127.0.0.1:8000) and
 * BULWARK_API_KEY. Problem responses become one-line errors with the server's detail.
 */
export async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const text = await apiText(method, path, body);
  return text ? JSON.parse(text) : null;
}

/** The raw answer of an endpoint (YAML rule files); `api` parses it as JSON. */
export async function apiText(method: string, path: string, body?: unknown): Promise<string> {
  const base = (process.env.BULWARK_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (process.env.BULWARK_API_KEY) headers['x-api-key'] = process.env.BULWARK_API_KEY;
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new Error(
      `cannot reach the Bulwark server at ${base} (${err instanceof Error ? err.message : String(err)}); set BULWARK_URL`,
    );
  }
  const text = await res.text();
  if (!res.ok) {
    let problem: { detail?: string; title?: string } | null = null;
    try {
      problem = JSON.parse(text) as { detail?: string; title?: string };
    } catch {}
    throw new Error(`${res.status} ${problem?.title ?? ''}: ${problem?.detail ?? text}`);
  }
  return text;
}

/** Pretty-printed JSON on stdout. */
export const print = (v: unknown): void => {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
};

/** A plain-text table: columns padded to their widest cell, numbers (and formatted numbers) right-aligned. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const isNumber = (c: string | number | null | undefined) =>
    c === null || c === undefined || typeof c === 'number' || /^-?\d+(\.\d+)?$/.test(c);
  const numeric = headers.map((_, i) => rows.every((r) => isNumber(r[i])));
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
