/**
 * OpenAPI 3.0 description of the executor contract, served by the built-in executor at
 * `GET /openapi.json`. Any executor that implements it can be driven by `ExecutorClient`.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
});

/** Example `POST /runs` body (also checked against the request schema in tests). */
export const EXAMPLE_RUN_REQUEST = {
  plans: [
    {
      target_service: 'payment',
      match: { method: 'POST', path_prefix: '/charge' },
      fault: { type: 'delay', delay_ms: 600 },
      percentage: 100,
      start_delay_s: 0,
      duration_s: 10,
    },
  ],
  duration_s: 10,
  load: { rps: 50, path: '/checkout', method: 'POST' },
  baseline_s: 5,
  recovery_s: 5,
} as const;

const latency = {
  description: 'Latency as percentiles, raw samples (the built-in executor) or a histogram.',
  oneOf: [
    {
      type: 'object',
      properties: {
        p50: { type: 'number' },
        p95: { type: 'number' },
        p99: { type: 'number' },
        max: { type: 'number' },
      },
    },
    { type: 'object', required: ['samples'], properties: { samples: { type: 'array', items: { type: 'number' } } } },
    {
      type: 'object',
      required: ['histogram'],
      properties: {
        histogram: {
          type: 'object',
          required: ['le', 'counts'],
          properties: {
            le: { type: 'array', items: { type: 'number' } },
            counts: { type: 'array', items: { type: 'number' } },
            cumulative: { type: 'boolean' },
          },
        },
      },
    },
  ],
};

/** The OpenAPI 3.0.3 document of the executor API. */
export const EXECUTOR_OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'Bulwark chaos executor',
    version: '1.0.0',
    description:
      'Applies fault plans to a running system through fault-injecting proxies while driving open-loop load at its ' +
      'entry service, and reports what happened before, during and after the faults in the shape the Bulwark ' +
      'analyzer scores. Runs are synchronous and one at a time.',
  },
  paths: {
    '/health': {
      get: {
        operationId: 'health',
        summary: 'Executor and service health',
        responses: {
          '200': { description: 'Health', content: { 'application/json': { schema: ref('Health') } } },
        },
      },
    },
    '/runs': {
      post: {
        operationId: 'run',
        summary: 'Run one trial',
        description:
          'Measures the baseline (no faults) for baseline_s, installs the plans and drives load for duration_s, clears ' +
          'the faults and measures recovery_s. Responds when the run is complete. Plan windows (start_delay_s, ' +
          'duration_s) start when the faults are installed.',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: ref('RunRequest'), example: EXAMPLE_RUN_REQUEST } },
        },
        responses: {
          '200': { description: 'The observation', content: { 'application/json': { schema: ref('RunResponse') } } },
          '400': problemResponse('Malformed JSON or a body that does not match RunRequest'),
          '409': problemResponse('Another run is in progress'),
          '415': problemResponse('Body is not application/json'),
          '500': problemResponse('The run failed'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI document', content: { 'application/json': {} } } },
      },
    },
  },
  components: {
    schemas: {
      FaultPlan: {
        type: 'object',
        required: ['target_service', 'fault', 'percentage'],
        additionalProperties: false,
        properties: {
          target_service: { type: 'string', description: 'A service behind the executor.' },
          match: {
            type: 'object',
            additionalProperties: false,
            properties: {
              method: { type: 'string', description: 'HTTP method; "*" or absent matches any.' },
              path_prefix: { type: 'string', pattern: '^/' },
              headers: {
                type: 'object',
                additionalProperties: { type: 'string' },
                description: 'Exact header values that must all be present.',
              },
            },
          },
          fault: {
            type: 'object',
            required: ['type'],
            additionalProperties: false,
            properties: {
              type: { type: 'string', enum: ['abort', 'delay', 'both'] },
              abort_status: { type: 'integer', minimum: 200, maximum: 599, default: 503 },
              delay_ms: { type: 'number', minimum: 0, maximum: 120000, default: 100 },
            },
          },
          percentage: { type: 'number', minimum: 0, maximum: 100 },
          start_delay_s: { type: 'number', minimum: 0, default: 0 },
          duration_s: { type: 'number', minimum: 0, description: 'Default: the run duration.' },
        },
      },
      RunRequest: {
        type: 'object',
        required: ['plans', 'duration_s', 'load'],
        additionalProperties: false,
        properties: {
          plans: { type: 'array', maxItems: 32, items: ref('FaultPlan') },
          duration_s: { type: 'number', exclusiveMinimum: true, minimum: 0, maximum: 600 },
          load: {
            type: 'object',
            required: ['rps', 'path'],
            additionalProperties: false,
            properties: {
              rps: { type: 'number', exclusiveMinimum: true, minimum: 0, maximum: 2000 },
              path: { type: 'string', pattern: '^/' },
              method: { type: 'string', default: 'GET' },
              timeout_ms: { type: 'integer', minimum: 1, maximum: 120000, default: 3000 },
              headers: { type: 'object', additionalProperties: { type: 'string' } },
              body: { description: 'JSON body sent with every request.' },
            },
          },
          baseline_s: { type: 'number', minimum: 0, maximum: 600, default: 0 },
          recovery_s: { type: 'number', minimum: 0, maximum: 600, default: 0 },
        },
      },
      Span: {
        type: 'object',
        required: ['trace_id', 'span_id', 'service', 'operation', 'duration_ms'],
        properties: {
          trace_id: { type: 'string', description: 'The request id.' },
          span_id: { type: 'string' },
          parent_id: { type: 'string' },
          service: { type: 'string' },
          operation: { type: 'string', description: '"METHOD /route", or "proxy" for fault-proxy spans.' },
          status: { type: 'integer' },
          duration_ms: { type: 'number' },
        },
      },
      ErrorLog: {
        type: 'object',
        required: ['level', 'message'],
        properties: { level: { type: 'string' }, message: { type: 'string' }, service: { type: 'string' } },
      },
      Sample: {
        type: 'object',
        required: ['requests', 'status_counts'],
        properties: {
          requests: { type: 'integer' },
          status_counts: {
            type: 'object',
            additionalProperties: { type: 'integer' },
            description: 'By HTTP status ("200", "504"), plus "error" for transport errors and timeouts.',
          },
          latency_ms: latency,
          error_logs: { type: 'array', items: ref('ErrorLog') },
          spans: { type: 'array', items: ref('Span') },
        },
      },
      Observation: {
        type: 'object',
        required: ['during'],
        properties: { baseline: ref('Sample'), during: ref('Sample'), recovery: ref('Sample') },
      },
      RunResponse: {
        type: 'object',
        required: ['run_id', 'observation', 'warnings'],
        properties: {
          run_id: { type: 'string' },
          observation: ref('Observation'),
          warnings: { type: 'array', items: { type: 'string' } },
        },
      },
      Health: {
        type: 'object',
        required: ['status', 'services'],
        properties: {
          status: { type: 'string', enum: ['ok', 'degraded'] },
          entry: { type: 'string' },
          busy: { type: 'boolean', description: 'A run is in progress.' },
          services: {
            type: 'object',
            additionalProperties: {
              type: 'object',
              required: ['target', 'proxy', 'up'],
              properties: { target: { type: 'string' }, proxy: { type: 'string' }, up: { type: 'boolean' } },
            },
          },
        },
      },
      Problem: {
        type: 'object',
        description: 'RFC 7807 problem details.',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          instance: { type: 'string' },
          errors: {
            type: 'array',
            items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
} as const;
