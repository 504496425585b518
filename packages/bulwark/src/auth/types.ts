/**
 * API security.
 *
 * Glossary
 * - identity: who is calling — `subject` (API key name or JWT `sub`), `role`, `groups` (teams),
 *   and how it was established (`via`).
 * - role: `sre_admin` (everything), `service_owner` (read all; write services whose `team` is one
 *   of their groups), `viewer` (read only).
 * - route auth: each route's declared action (public | read | write | admin), see http/route-auth.ts.
 * - bucket: the rate-limit key, `<identity>|<route>`; a token bucket refilled per minute.
 */
export const ROLES = ['sre_admin', 'service_owner', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface Identity {
  subject: string;
  role: Role;
  groups: string[];
  via: 'api_key' | 'jwt' | 'disabled';
}

declare module 'fastify' {
  interface FastifyRequest {
    identity?: Identity;
  }
}
