import { z } from 'zod';

/**
 * Environment -> typed, validated configuration. The only module that reads `process.env`.
 * A bad value fails start-up with one line that names the variable.
 */

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v))
    .refine(
      (v) => {
        if (v === undefined) return true;
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}` },
    );

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

const envSchema = z.object({
  PORT: z.coerce.number({ message: 'must be an integer between 0 and 65535' }).int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  BULWARK_DATA_DIR: z.string().min(1).default('./.bulwark/data'),
  BULWARK_EMBEDDED_SHARED_BUFFERS_MB: z.coerce
    .number({ message: 'must be an integer between 1 and 999' })
    .int()
    .min(1)
    .max(999)
    .default(16),
  BULWARK_DB_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'must be a lowercase SQL identifier' })
    .default('public'),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  PROMETHEUS_URL: optionalUrl(['http:', 'https:']),
  BULWARK_TELEMETRY: z.enum(['prometheus', 'synthetic', 'none']).optional(),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  BULWARK_AUTH: z.enum(['enabled', 'disabled']).default('enabled'),
  BULWARK_OIDC_JWKS_URL: optionalUrl(['http:', 'https:']),
  BULWARK_OIDC_ISSUER: z.string().optional(),
  BULWARK_OIDC_AUDIENCE: z.string().optional(),
  BULWARK_OIDC_ROLE_CLAIM: z.string().min(1).default('bulwark_role'),
  BULWARK_OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
  BULWARK_OIDC_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  BULWARK_CORS_ORIGINS: csv,
  BULWARK_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(10 * 1024 * 1024),
  BULWARK_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
  BULWARK_CALLBACK_SECRET: z.string().optional(),
  BULWARK_DRIFT_WEBHOOK_URL: optionalUrl(['http:', 'https:']),
  BULWARK_SLO_JOBS: z.enum(['on', 'off']).default('on'),
  BULWARK_PROBLEM_CATALOGUE: z.string().optional(),
  BULWARK_HTTP_TARGETS: z.string().optional(),
  BULWARK_RATE_LIMIT: z.enum(['on', 'off']).default('on'),
  BULWARK_RATE_LIMITS: z
    .string()
    .optional()
    .transform((v, c) => {
      if (!v) return {} as Record<string, number>;
      try {
        const parsed = JSON.parse(v) as unknown;
        if (
          parsed &&
          typeof parsed === 'object' &&
          Object.values(parsed).every((n) => Number.isInteger(n) && (n as number) > 0)
        ) {
          return parsed as Record<string, number>;
        }
      } catch {
        // fall through
      }
      c.addIssue({
        code: 'custom',
        message: 'must be a JSON object of positive integers, e.g. {"GET /api/v1/tasks": 600, "read": 240}',
      });
      return z.NEVER;
    }),
  BULWARK_RATE_LIMIT_REDIS_PREFIX: z.string().min(1).default('bulwark:rl:'),
  BULWARK_EMBEDDED_WORKERS: z.coerce
    .number({ message: 'must be an integer between 0 and 64' })
    .int()
    .min(0)
    .max(64)
    .default(0),
  BULWARK_ALLOW_PRIVATE_CALLBACKS: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
});

export type Env = z.input<typeof envSchema>;

export interface Config {
  port: number;
  host: string;
  database: {
    url: string | undefined;
    dataDir: string;
    schema: string;
    /** shared_buffers of the embedded database (PGlite), MiB; ignored with DATABASE_URL. */
    embeddedSharedBuffersMb: number;
  };
  redisUrl: string | undefined;
  prometheusUrl: string | undefined;
  /**
   * Where SLI history comes from: Prometheus (PROMETHEUS_URL), deterministic synthetic telemetry
   * (the demo), or none (recommendations answer 503). Default: prometheus when PROMETHEUS_URL is set.
   */
  telemetry: 'prometheus' | 'synthetic' | 'none';
  logLevel: (typeof logLevels)[number];
  auth: {
    enabled: boolean;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    roleClaim: string;
    groupsClaim: string;
    /** Minimum time between JWKS refetches triggered by unknown key ids. */
    jwksCooldownMs: number;
  };
  corsOrigins: string[];
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  callbackSecret: string | undefined;
  /** Drift notifications are POSTed here (signed with BULWARK_CALLBACK_SECRET). */
  driftWebhookUrl: string | undefined;
  /** Schedule the SLO engine's hourly aggregation and 5-minute drift watch (needs telemetry). */
  sloJobs: boolean;
  problemCatalogue: string | undefined;
  allowPrivateCallbacks: boolean;
  rateLimit: { enabled: boolean; overrides: Record<string, number>; redisPrefix: string };
  /** File naming the endpoints the `http` task kind may call. */
  httpTargets: string | undefined;
  /** Task workers run inside `bulwark serve` (needed with the embedded database). */
  embeddedWorkers: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parse an environment map into `Config`; throws `ConfigError` with a one-line message. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const got = env[name];
    const shown = got === undefined ? 'unset' : JSON.stringify(got.length > 60 ? `${got.slice(0, 60)}…` : got);
    const secret = /SECRET|PASSWORD|TOKEN|DATABASE_URL|REDIS_URL/.test(name);
    throw new ConfigError(
      `invalid configuration: ${name} ${issue?.message ?? 'is invalid'} (got ${secret ? 'a value' : shown})`,
    );
  }
  const e = parsed.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    database: {
      url: e.DATABASE_URL,
      dataDir: e.BULWARK_DATA_DIR,
      schema: e.BULWARK_DB_SCHEMA,
      embeddedSharedBuffersMb: e.BULWARK_EMBEDDED_SHARED_BUFFERS_MB,
    },
    redisUrl: e.REDIS_URL,
    prometheusUrl: e.PROMETHEUS_URL,
    telemetry: e.BULWARK_TELEMETRY ?? (e.PROMETHEUS_URL ? 'prometheus' : 'none'),
    logLevel: e.LOG_LEVEL,
    auth: {
      enabled: e.BULWARK_AUTH === 'enabled',
      jwksUrl: e.BULWARK_OIDC_JWKS_URL,
      issuer: e.BULWARK_OIDC_ISSUER,
      audience: e.BULWARK_OIDC_AUDIENCE,
      roleClaim: e.BULWARK_OIDC_ROLE_CLAIM,
      groupsClaim: e.BULWARK_OIDC_GROUPS_CLAIM,
      jwksCooldownMs: e.BULWARK_OIDC_JWKS_COOLDOWN_MS,
    },
    corsOrigins: e.BULWARK_CORS_ORIGINS,
    bodyLimitBytes: e.BULWARK_BODY_LIMIT_BYTES,
    shutdownGraceMs: e.BULWARK_SHUTDOWN_GRACE_MS,
    callbackSecret: e.BULWARK_CALLBACK_SECRET,
    driftWebhookUrl: e.BULWARK_DRIFT_WEBHOOK_URL,
    sloJobs: e.BULWARK_SLO_JOBS === 'on',
    problemCatalogue: e.BULWARK_PROBLEM_CATALOGUE,
    allowPrivateCallbacks: e.BULWARK_ALLOW_PRIVATE_CALLBACKS,
    embeddedWorkers: e.BULWARK_EMBEDDED_WORKERS,
    httpTargets: e.BULWARK_HTTP_TARGETS,
    rateLimit: {
      enabled: e.BULWARK_RATE_LIMIT === 'on',
      overrides: e.BULWARK_RATE_LIMITS,
      redisPrefix: e.BULWARK_RATE_LIMIT_REDIS_PREFIX,
    },
  };
  if (!config.auth.enabled && !isLoopbackHost(config.host)) {
    throw new ConfigError(
      `invalid configuration: BULWARK_AUTH=disabled is only allowed when HOST is a loopback address (got HOST=${JSON.stringify(config.host)})`,
    );
  }
  if (config.telemetry === 'prometheus' && !config.prometheusUrl) {
    throw new ConfigError('invalid configuration: BULWARK_TELEMETRY=prometheus needs PROMETHEUS_URL');
  }
  if (config.auth.jwksUrl && (!config.auth.issuer || !config.auth.audience)) {
    throw new ConfigError(
      'invalid configuration: BULWARK_OIDC_ISSUER and BULWARK_OIDC_AUDIENCE must be set when BULWARK_OIDC_JWKS_URL is set',
    );
  }
  return config;
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
