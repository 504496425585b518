import { createRemoteJWKSet, errors as joseErrors, type JWTPayload, jwtVerify } from 'jose';
import { ROLES, type Identity, type Role } from './types.js';

export interface JwtVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  roleClaim: string;
  groupsClaim: string;
  cooldownMs?: number;
}

export class TokenRejected extends Error {
  override name = 'TokenRejected';
}

/**
 * Verifies bearer tokens against the identity provider's JWKS: signature, `exp`, `nbf`, `iss`,
 * `aud`. Keys are cached for 5 minutes and refetched at once when a token names an unknown `kid`
 * (key rotation), at most every 30 s.
 */
export function createJwtVerifier(o: JwtVerifierOptions): (token: string) => Promise<Identity> {
  const jwks = createRemoteJWKSet(new URL(o.jwksUrl), {
    cacheMaxAge: 5 * 60_000,
    cooldownDuration: o.cooldownMs ?? 30_000,
    timeoutDuration: 5_000,
  });
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: o.issuer, audience: o.audience, clockTolerance: 5 }));
    } catch (err) {
      throw new TokenRejected(describe(err));
    }
    const role = claimAt(payload, o.roleClaim);
    if (typeof role !== 'string' || !ROLES.includes(role as Role)) {
      throw new TokenRejected(`token has no valid role in claim '${o.roleClaim}' (one of ${ROLES.join(', ')})`);
    }
    const groups = claimAt(payload, o.groupsClaim);
    return {
      subject: String(payload.sub ?? 'unknown'),
      role: role as Role,
      groups: Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? [groups] : [],
      via: 'jwt',
    };
  };
}

/** A claim by name, or a dotted path into nested claims (e.g. `realm_access.role`). */
function claimAt(payload: JWTPayload, path: string): unknown {
  let v: unknown = payload;
  for (const part of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

function describe(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `token claim '${err.claim}' is invalid (${err.reason})`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return 'token was signed with a key the identity provider does not publish';
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) return 'token is malformed';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  return 'token could not be verified';
}
