/**
 * Multi-document YAML with source locations, for precise validation messages. Pure (parses text).
 */
import { type Document, isNode, LineCounter, parseAllDocuments } from 'yaml';

/**
 * A property path inside one document, e.g. `['spec', 'objectives', 0, 'target']`.
 *
 * @example
 * ```ts
 * const path: SpecPath = ['spec', 'objectives', 0, 'target'];
 * ```
 */
export type SpecPath = ReadonlyArray<string | number>;

/**
 * One problem in a spec file, located as precisely as the source allows.
 *
 * @example
 * ```ts
 * const p: SpecProblem = { document: 0, path: 'slos[0].objective', message: 'out of range', line: 7, column: 16 };
 * ```
 */
export interface SpecProblem {
  /** 0-based index of the YAML document in the file. */
  document: number;
  /** Dotted path inside the document (`spec.objectives[0].target`); empty for the document itself. */
  path: string;
  message: string;
  /** 1-based line of the offending node (or of its nearest existing parent). */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/**
 * A parsed YAML document with a way to locate paths in it.
 *
 * @example
 * ```ts
 * for (const doc of loadYamlDocuments(text, problems)) doc.problem(['spec'], 'spec is required');
 * ```
 */
export interface SourceDocument {
  index: number;
  /** The document as plain data (undefined for an empty document). */
  value: unknown;
  /** Records a problem at a path, with its line and column. */
  problem(path: SpecPath, message: string): void;
}

/**
 * Formats a path as `a.b[0].c`; keys that are not plain identifiers are quoted (`annotations["a.b/c"]`).
 *
 * @example
 * ```ts
 * formatPath(['spec', 'objectives', 0, 'target']); // => 'spec.objectives[0].target'
 * ```
 */
export function formatPath(path: SpecPath): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (!/^[A-Za-z_$][\w$-]*$/.test(p)) out += `[${JSON.stringify(p)}]`;
    else out += out === '' ? p : `.${p}`;
  }
  return out;
}

/**
 * One line describing a problem: document, path, position and message.
 *
 * @example
 * ```ts
 * describeProblem({ document: 0, path: 'spec.service', message: 'required', line: 5, column: 3 });
 * // => 'document 0, spec.service (line 5, column 3): required'
 * ```
 */
export function describeProblem(p: SpecProblem): string {
  const where = p.line !== undefined ? ` (line ${p.line}, column ${p.column ?? 1})` : '';
  return `document ${p.document}, ${p.path === '' ? '(document)' : p.path}${where}: ${p.message}`;
}

/**
 * Parses every document of a YAML text. Syntax errors are appended to `problems` with their
 * position; documents that failed to parse are left out.
 *
 * @example
 * ```ts
 * const problems: SpecProblem[] = [];
 * const docs = loadYamlDocuments('a: 1\n---\nb: 2\n', problems);
 * docs.map((d) => d.value); // => [{ a: 1 }, { b: 2 }]
 * ```
 */
export function loadYamlDocuments(text: string, problems: SpecProblem[]): SourceDocument[] {
  const lineCounter = new LineCounter();
  // An empty text parses to an empty stream (an empty array).
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true });
  const out: SourceDocument[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0];
        problems.push({
          document: index,
          path: '',
          message: `YAML syntax error: ${e.message.split('\n')[0]}`,
          ...(pos ? { line: pos.line, column: pos.col } : {}),
        });
      }
      return;
    }
    out.push({
      index,
      value: doc.toJS({ maxAliasCount: 100 }) as unknown,
      problem(path, message) {
        const loc = locate(doc, lineCounter, path);
        problems.push({ document: index, path: formatPath(path), message, ...(loc ?? {}) });
      },
    });
  });
  return out;
}

function locate(doc: Document, lineCounter: LineCounter, path: SpecPath): { line: number; column: number } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = lineCounter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

/**
 * True for a plain object (a YAML mapping).
 *
 * @example
 * ```ts
 * isRecord({ a: 1 }); // => true
 * isRecord([1]); // => false
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
