import { z } from 'zod';

/**
 * What a service id may look like everywhere (API paths, bodies, PromQL label values): letters,
 * digits and `. _ : / -`, starting with a letter or digit, at most 253 characters (a DNS name).
 */
export const SERVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,252}$/;

/** The zod schema of a service id, with the message every route answers. */
export const serviceIdSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(SERVICE_ID_PATTERN, 'service ids are letters, digits and . _ : / -');

/** FNV-1a hash of a string (32-bit): a stable seed derived from a name. */
export function fnv1a(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
