import { createHash } from 'crypto';

/**
 * The one-way pseudonym of an OPENID kept after 注销 (admin logs, kept bans): SHA-256 under a fixed label, so that
 * the operator can still answer "was this OPENID banned, and when" for someone who shows the OPENID, while the
 * records no longer hold it. The `p:` prefix can never start an OPENID.
 */
export function pseudonymOf(openid: string): string {
  return `p:${createHash('sha256').update(`wechat-login-kit/openid/${openid}`).digest('hex')}`;
}
