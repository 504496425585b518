import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/**
 * Read an operator's YAML or JSON file (by extension) and validate it; errors name the file and the
 * JSON pointer of the first bad field.
 */
export async function loadConfigFile<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.infer<S>> {
  const text = await readFile(path, 'utf8');
  let raw: unknown;
  try {
    raw = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new Error(
      `${what} ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${what} ${path}: /${issue?.path.join('/')} ${issue?.message}`);
  }
  return parsed.data;
}
