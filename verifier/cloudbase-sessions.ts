/**
 * The revocation source for a backend beside a CloudBase environment: a token is current while the users document
 * of its `sub` names the same account (`accountId`) and session version (`sessionVersion`) and is not banned. Logout
 * and bans bump the version; 注销 removes the document, and a new account of the same OPENID has another accountId.
 * Pass it as the verifier's `currentSession`.
 *
 * It reads with @cloudbase/node-sdk and the environment's API key (a 访问密钥 from the Tencent Cloud console, kept on
 * your server). `serviceUrl` points the SDK elsewhere: devcloud serves the same API (devcloud/README.md).
 */
import tcb from '@cloudbase/node-sdk';
import type { CurrentSession } from '../contracts/token';

export interface CloudBaseSessionsOptions {
  /** The CloudBase environment id the login function writes to. */
  env: string;
  secretId: string;
  secretKey: string;
  /** Another address for the CloudBase API (devcloud's `<url>/admin`); unset for the real service. */
  serviceUrl?: string;
  /** The users collection (default `users`). */
  collection?: string;
}

/** The fields of a users document this source reads (cloudbase/user-data.ts UserDocument). */
interface SessionFields {
  accountId?: unknown;
  sessionVersion?: unknown;
  status?: unknown;
}

export function cloudBaseSessions(options: CloudBaseSessionsOptions): (sub: string) => Promise<CurrentSession | null> {
  const app = tcb.init({
    env: options.env,
    secretId: options.secretId,
    secretKey: options.secretKey,
    ...(options.serviceUrl ? { serviceUrl: options.serviceUrl } : {}),
  });
  const users = app.database().collection(options.collection ?? 'users');
  return async (sub) => {
    // A read of the one document, by id: no query an OPENID could widen. A failure rejects (the request is not
    // authorized, and the middleware answers that the check could not be made), never "current".
    const { data } = (await users.doc(sub).get()) as { data?: SessionFields[] };
    const user = data?.[0];
    if (!user || typeof user.accountId !== 'string' || typeof user.sessionVersion !== 'number') return null;
    return { aid: user.accountId, sv: user.sessionVersion, banned: user.status === 'banned' };
  };
}
