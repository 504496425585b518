/**
 * The shape of a fault space file (zod). Cross-field rules (unique names, low < high, `when`
 * references, constraints, plan-field checks) live in parse.ts, which reports them with paths.
 */

import { z } from 'zod';
import { MAX_DIMENSIONS } from '../optimizer/types.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A categorical value as written in the file. */
export const categoryValueSchema = z.union([z.string().min(1, 'must not be empty'), z.number(), z.boolean()]);

const whenSchema = z.record(z.string(), z.union([categoryValueSchema, z.array(categoryValueSchema).min(1)]));

const common = {
  name: z
    .string()
    .regex(IDENTIFIER, 'must be an identifier (letters, digits, _; not starting with a digit)')
    .refine((n) => n !== 'and' && n !== 'or' && n !== 'not', 'must not be a keyword (and, or, not)'),
  when: whenSchema.optional(),
};

const categoricalSchema = z.strictObject({
  ...common,
  type: z.literal('categorical'),
  values: z.array(categoryValueSchema).min(1, 'needs at least one value'),
});

const integerSchema = z.strictObject({
  ...common,
  type: z.literal('integer'),
  low: z.number().int('must be an integer'),
  high: z.number().int('must be an integer'),
  log: z.boolean().optional(),
});

const realSchema = z.strictObject({
  ...common,
  type: z.literal('real'),
  low: z.number(),
  high: z.number(),
  log: z.boolean().optional(),
});

/** One declared dimension. */
export const dimensionSchema = z.discriminatedUnion('type', [categoricalSchema, integerSchema, realSchema]);

const matchSchema = z.strictObject({
  method: z.string().min(1).optional(),
  path_prefix: z.string().startsWith('/', "must start with '/'").optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const defaultsSchema = z.strictObject({
  service: z.string().min(1).optional(),
  fault: z.enum(['abort', 'delay', 'both']).optional(),
  abort_status: z.number().int().min(200).max(599).optional(),
  delay_ms: z.number().min(0).optional(),
  percentage: z.number().min(0).max(100).optional(),
  start_delay_s: z.number().min(0).optional(),
  duration_s: z.number().positive().optional(),
});

/** The whole file. */
export const faultSpaceFileSchema = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  description: z.string().optional(),
  target: z.strictObject({
    entry: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    services: z.array(z.string().min(1)).min(1, 'needs at least one service'),
  }),
  faults: z.number().int().min(1).max(MAX_DIMENSIONS).optional(),
  dimensions: z
    .array(dimensionSchema)
    .min(1, 'needs at least one dimension')
    .max(MAX_DIMENSIONS, `at most ${MAX_DIMENSIONS} dimensions`),
  constraints: z.array(z.string().min(1, 'must not be empty')).optional(),
  blast_radius: z.strictObject({ max_percentage: z.number().gt(0).max(100) }).optional(),
  steady_state: z
    .strictObject({
      max_error_rate: z.number().min(0).max(1).optional(),
      max_p99_ms: z.number().positive().optional(),
    })
    .optional(),
  match: matchSchema.optional(),
  defaults: defaultsSchema.optional(),
});

/** The file after structural validation. */
export type FaultSpaceFile = z.infer<typeof faultSpaceFileSchema>;

/** One declared dimension after structural validation. */
export type DimensionSpec = z.infer<typeof dimensionSchema>;
