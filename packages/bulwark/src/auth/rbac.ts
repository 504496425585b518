import type { RouteAuth } from '../http/route-auth.js';
import type { Identity } from './types.js';

export type Decision = { allow: true } | { allow: false; reason: string };

/**
 * Pure authorisation: may `identity` perform the route's action? `ownerTeam` is the team of the
 * service the route touches (looked up by the caller when the route names one).
 */
export function authorize(
  identity: Identity,
  auth: RouteAuth,
  ownerTeam: string | undefined,
  serviceId: string | undefined,
): Decision {
  if (auth.action === 'public' || auth.action === 'read') return { allow: true };
  if (identity.role === 'sre_admin') return { allow: true };
  if (auth.action === 'admin') return { allow: false, reason: 'this operation needs the sre_admin role' };
  // write
  if (identity.role === 'viewer') return { allow: false, reason: 'the viewer role is read-only' };
  if (auth.anyWriter) return { allow: true };
  if (!auth.service || serviceId === undefined)
    return { allow: false, reason: 'this operation needs the sre_admin role' };
  if (ownerTeam === undefined)
    return { allow: false, reason: `service '${serviceId}' has no owning team; only sre_admin may change it` };
  if (identity.groups.includes(ownerTeam)) return { allow: true };
  return {
    allow: false,
    reason: `service '${serviceId}' belongs to team '${ownerTeam}', which is not one of your groups`,
  };
}
