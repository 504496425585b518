/**
 * Small PromQL and naming helpers shared by the rule generator and the spec converters. Pure.
 */

/**
 * Strict service name: letters, digits, `.`, `_`, `-`; starts and ends alphanumeric; 1–128 characters.
 *
 * @example
 * ```ts
 * SERVICE_NAME_RE.test('checkout-service'); // => true
 * SERVICE_NAME_RE.test('x"} or vector(1)'); // => false
 * ```
 */
export const SERVICE_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
/**
 * Objective (SLO) name: like a service name, 1–63 characters.
 *
 * @example
 * ```ts
 * OBJECTIVE_NAME_RE.test('latency-p99'); // => true
 * ```
 */
export const OBJECTIVE_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
/**
 * Prometheus label name.
 *
 * @example
 * ```ts
 * LABEL_NAME_RE.test('team'); // => true
 * ```
 */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/**
 * Prometheus metric name (also what Prometheus accepts as an alert name).
 *
 * @example
 * ```ts
 * METRIC_NAME_RE.test('http_requests_total'); // => true
 * ```
 */
export const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

const WINDOW_PLACEHOLDER_RE = /\{\{\s*\.window\s*\}\}/g;

/**
 * Quotes a value as a PromQL double-quoted string literal, escaping backslashes, quotes and
 * control characters, so the value can never end the string and inject PromQL.
 *
 * @example
 * ```ts
 * promqlString('a"b'); // => '"a\\"b"'  (PromQL text: "a\"b")
 * ```
 */
export function promqlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/**
 * Renders a label matcher list `{a="x", b="y"}` (keys in the given order, values escaped).
 *
 * @example
 * ```ts
 * labelFilter({ sloth_id: 'checkout-availability' }); // => '{sloth_id="checkout-availability"}'
 * ```
 */
export function labelFilter(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${promqlString(v)}`);
  return `{${parts.join(', ')}}`;
}

/**
 * True when a query template contains Sloth's `{{.window}}` placeholder (spaces inside the braces allowed).
 *
 * @example
 * ```ts
 * hasWindowPlaceholder('sum(rate(x[{{.window}}]))'); // => true
 * ```
 */
export function hasWindowPlaceholder(template: string): boolean {
  return new RegExp(WINDOW_PLACEHOLDER_RE.source).test(template);
}

/**
 * Replaces every `{{.window}}` placeholder with a Prometheus duration.
 *
 * @example
 * ```ts
 * renderWindow('sum(rate(x[{{.window}}]))', '1h'); // => 'sum(rate(x[1h]))'
 * ```
 */
export function renderWindow(template: string, window: string): string {
  return template.replace(WINDOW_PLACEHOLDER_RE, window);
}

/**
 * Template actions other than `{{.window}}` found in a query (Sloth renders queries as Go
 * templates; Bulwark supports only the window variable).
 *
 * @example
 * ```ts
 * otherTemplateActions('x[{{.window}}] {{ .foo }}'); // => ['{{ .foo }}']
 * ```
 */
export function otherTemplateActions(template: string): string[] {
  const rest = template.replace(WINDOW_PLACEHOLDER_RE, '');
  return rest.match(/\{\{.*?\}\}/g) ?? [];
}

/**
 * A light structural check of a PromQL expression: brackets balance and string literals close.
 * It is no PromQL parser (promtool is the authority); it catches truncated or mistyped queries.
 * Returns a problem description, or undefined when the expression looks well-formed.
 *
 * @example
 * ```ts
 * promqlStructureProblem('sum(rate(x[5m])'); // => "unbalanced brackets: '(' is never closed"
 * ```
 */
export function promqlStructureProblem(expr: string): string | undefined {
  if (expr.trim() === '') return 'the expression is empty';
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i] as string;
    if (quote) {
      if (ch === '\\' && quote !== '`') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
    else if (ch === '#') {
      const nl = expr.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
    } else if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch === ')' || ch === ']' || ch === '}') {
      const open = stack.pop();
      if (open !== pairs[ch]) return `unbalanced brackets: unexpected '${ch}' at offset ${i}`;
    }
  }
  if (quote) return `a string literal opened with ${quote} is never closed`;
  const open = stack.pop();
  if (open) return `unbalanced brackets: '${open}' is never closed`;
  return undefined;
}

/**
 * Formats a number for PromQL and YAML without binary floating-point noise (12 significant digits).
 *
 * @example
 * ```ts
 * formatNumber(1 - 0.999); // => '0.001'
 * ```
 */
export function formatNumber(value: number): string {
  return String(roundNumber(value));
}

/**
 * Rounds to 12 significant digits, removing floating-point noise such as `0.9990000000000001`.
 *
 * @example
 * ```ts
 * roundNumber(99.9 / 100); // => 0.999
 * ```
 */
export function roundNumber(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * PascalCase of the alphanumeric runs of a name, prefixed with `Slo` if it would start with a digit,
 * so the result is a valid Prometheus alert name fragment.
 *
 * @example
 * ```ts
 * pascalCase('checkout-service'); // => 'CheckoutService'
 * pascalCase('latency-p99'); // => 'LatencyP99'
 * ```
 */
export function pascalCase(name: string): string {
  const out = name
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join('');
  return /^[0-9]/.test(out) ? `Slo${out}` : out;
}

/**
 * An RFC 1123 DNS label (lowercase alphanumerics and `-`, at most 63 characters) built from parts,
 * as OpenSLO requires for `metadata.name`. Over-long names are cut and suffixed with a hash so
 * distinct inputs stay distinct.
 *
 * @example
 * ```ts
 * dnsLabel('Checkout_Service', 'latency-p99'); // => 'checkout-service-latency-p99'
 * ```
 */
export function dnsLabel(...parts: string[]): string {
  const slug = parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const base = slug === '' ? 'x' : slug;
  if (base.length <= 63) return base;
  return `${base.slice(0, 54).replace(/-$/, '')}-${fnv1a(parts.join('\u0000'))}`;
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
