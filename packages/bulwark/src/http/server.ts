import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { installHealthRoutes, type ReadinessCheck } from './health.js';
import { createMetricsRegistry, installHttpMetrics } from './metrics.js';
import { frameworkProblem, installProblemHandlers, MAX_PARAM_LENGTH } from './problem.js';
import type { RouteAuth } from './route-auth.js';

export interface BuildServerOptions {
  version: string;
  logLevel?: string;
  /** Pass `false` to silence logs (tests); a pino destination stream to capture them. */
  logger?: FastifyServerOptions['logger'];
  bodyLimitBytes?: number;
  readiness?: Record<string, ReadinessCheck>;
  metricsRegistry?: Registry;
  /** Registered before domain routes: auth, rate limiting, security headers. */
  guards?: FastifyPluginAsync[];
  /** Domain route plugins (slo, tasks, chaos …). */
  routes?: FastifyPluginAsync[];
  /** Extra OpenAPI components (security schemes). */
  openapiComponents?: Record<string, unknown>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The Fastify app factory: no listening, no database opening (see app.ts for that). */
export async function buildServer(options: BuildServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? {
      level: options.logLevel ?? 'info',
      redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
    },
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    bodyLimit: options.bodyLimitBytes ?? 10 * 1024 * 1024,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: frameworkProblem,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('readiness', new Map(Object.entries(options.readiness ?? {})));
  installProblemHandlers(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Bulwark API',
        version: options.version,
        description:
          'Reliability engineering platform: dependency-aware SLO recommendations, chaos search, task execution. Errors are RFC 7807 application/problem+json.',
      },
      components: options.openapiComponents ?? {},
      ...(options.openapiComponents && 'securitySchemes' in options.openapiComponents
        ? { security: Object.keys(options.openapiComponents.securitySchemes as object).map((name) => ({ [name]: [] })) }
        : {}),
    },
    transform: jsonSchemaTransform,
  });
  // swagger-ui registers its own routes; they are public documentation.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) {
      route.config = { ...(route.config ?? {}), auth: { action: 'public' } };
    }
    // Public routes need no credentials in the OpenAPI document either.
    if (route.config?.auth?.action === 'public' && route.schema) route.schema = { ...route.schema, security: [] };
  });
  // Every route with its declared auth, for the permission test and the security docs.
  const routeTable: Array<{ method: string; url: string; auth: RouteAuth | undefined }> = [];
  app.decorate('routeTable', routeTable);
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routeTable.push({ method, url: route.url, auth: route.config?.auth });
    }
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' } });
  app.get('/openapi.json', { config: { auth: { action: 'public' } }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  installHttpMetrics(app, options.metricsRegistry ?? createMetricsRegistry());
  for (const guard of options.guards ?? []) await app.register(guard);
  installHealthRoutes(app, options.version);
  for (const routes of options.routes ?? []) await app.register(routes);
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: Array<{ method: string; url: string; auth: RouteAuth | undefined }>;
  }
}
