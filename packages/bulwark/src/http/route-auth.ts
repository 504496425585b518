/**
 * Every route declares who may call it in its Fastify `config.auth` (see `RouteAuth`). The auth
 * plugin enforces it; a test walks every registered route and fails when one has no declaration.
 *
 * Glossary
 * - public: no credentials needed (health, metrics, docs).
 * - read: any authenticated identity (viewer and above).
 * - write: sre_admin, or service_owner when `service` resolves to a service of their team.
 * - admin: sre_admin only.
 */
import type { FastifyRequest } from 'fastify';

export type RouteAction = 'public' | 'read' | 'write' | 'admin';

export interface RouteAuth {
  action: RouteAction;
  /**
   * For `write` routes on one service: returns the service id the request touches, so a
   * service_owner may write only services their team owns. Omit for writes that are not
   * scoped to one service (then only sre_admin, or any writer when `anyWriter` is set).
   */
  service?: (request: FastifyRequest) => string | undefined;
  /** A `write` that any service_owner may perform (e.g. submitting a task). */
  anyWriter?: boolean;
  /** Rate-limit bucket name from the route limit table (defaults to the action). */
  rateLimit?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}
