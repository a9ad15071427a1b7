/**
 * Express middleware over verify.ts: `app.use('/api', requireSessionToken(verifier))`, then `req.auth` holds the
 * verified claims. Answers as RFC 6750 says: 401 with `WWW-Authenticate: Bearer ...` (with `error="invalid_token"`
 * when a token was sent), and 503 when the JWKS URL or the revocation check (currentSession) cannot be reached,
 * since that is not the caller's fault.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  JwksUnavailableError,
  RevocationUnavailableError,
  TokenRejectedError,
  type SessionClaims,
  type TokenVerifier,
} from './verify';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own way to type request additions
  namespace Express {
    interface Request {
      /** Set by requireSessionToken: the verified session token's claims. */
      auth?: SessionClaims;
    }
  }
}

/** The JSON body of a refusal: `reason` is a RejectionReason, or `missing_token`. */
export interface AuthErrorBody {
  error: { code: 'UNAUTHORIZED' | 'AUTH_UNAVAILABLE'; reason: string; message: string };
}

/**
 * The scheme, one or more spaces, and the credentials. Anything that is not a canonical compact JWS is refused by
 * the verifier with the same 401 as any bad token (RFC 6750 allows `+/=~` in a b64token; our tokens never hold them).
 */
const BEARER = /^Bearer +(\S+)$/i;

export function requireSessionToken(verify: TokenVerifier, options: { realm?: string } = {}): RequestHandler {
  const realm = options.realm ?? 'api';
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = BEARER.exec(req.get('authorization') ?? '');
    if (!match?.[1]) {
      refuse(res, 401, `Bearer realm="${realm}"`, 'missing_token', 'a Bearer token is required');
      return;
    }
    try {
      req.auth = await verify(match[1]);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        const challenge = `Bearer realm="${realm}", error="invalid_token", error_description="${error.message}"`;
        refuse(res, 401, challenge, error.reason, error.message);
        return;
      }
      if (error instanceof JwksUnavailableError || error instanceof RevocationUnavailableError) {
        const reason = error instanceof JwksUnavailableError ? 'jwks_unavailable' : 'revocation_unavailable';
        res.status(503).json({
          error: { code: 'AUTH_UNAVAILABLE', reason, message: 'cannot verify tokens right now' },
        } satisfies AuthErrorBody);
        return;
      }
      next(error);
      return;
    }
    next();
  };
}

function refuse(res: Response, status: 401, challenge: string, reason: string, message: string): void {
  res
    .status(status)
    .set('WWW-Authenticate', challenge)
    .json({ error: { code: 'UNAUTHORIZED', reason, message } } satisfies AuthErrorBody);
}
