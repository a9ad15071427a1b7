/**
 * What the own login server keeps besides what the use cases need (core/ports.ts AccountStore): refresh tokens,
 * avatar images, the shared WeChat access_token, rate-limit counters. One SQL implementation (server/db/) serves
 * both engines: SQLite (embedded, the default) and PostgreSQL (several instances on one database).
 */
import type { AccountStore, AvatarImage, AvatarImages } from '../core/ports';

export interface IssuedRefreshToken {
  /** Opaque, random; stored only as a hash. */
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

export type RefreshOutcome =
  /** The token was current: it is now rotated (spent), and this is its successor in the same family. */
  | ({ outcome: 'rotated'; openid: string } & IssuedRefreshToken)
  /** Unknown, expired, or of a session that ended (logout, ban, 注销, another account of the OPENID). */
  | { outcome: 'invalid' }
  /** Already rotated: a copy is being replayed. The whole family is revoked, the newest token included. */
  | { outcome: 'reused'; openid: string };

export interface RefreshTokens {
  /** A new family for a login: bound to the account (accountId) and its session version at issue. */
  issue(openid: string, accountId: string, sessionVersion: number, now: Date): Promise<IssuedRefreshToken>;
  /**
   * Rotation, atomically (two instances racing on one token: one rotates, the other sees 'reused'). Valid only while
   * the account is the same (accountId), active, and at the same session version as when the family was issued.
   */
  rotate(refreshToken: string, now: Date): Promise<RefreshOutcome>;
}

export interface StoredAvatar {
  bytes: Buffer;
  contentType: AvatarImage['contentType'];
  /** Strong validator for caching: the content's hash. */
  etag: string;
}

export interface AvatarStore extends AvatarImages {
  /** The image behind a URL this server handed out in `avatarUrl`; null when unknown or deleted. */
  get(id: string): Promise<StoredAvatar | null>;
}

/** The WeChat access_token, shared by every instance through the database. */
export interface AccessTokenStore {
  read(appid: string): Promise<{ token: string; expiresAt: Date } | null>;
  /**
   * Takes the right to fetch a new token until `until` (a lease): false while another instance holds it. So a
   * token is never fetched by two instances at once.
   */
  lease(appid: string, holder: string, until: Date, now: Date): Promise<boolean>;
  /** Saves the fetched token and ends the lease. */
  save(appid: string, holder: string, token: string, expiresAt: Date): Promise<void>;
}

export interface RateLimits {
  /** Counts one hit of `key` in the window starting at `windowStart`; the count so far, this one included. */
  hit(key: string, windowStart: Date): Promise<number>;
  /** Deletes windows that ended before `before`. */
  prune(before: Date): Promise<void>;
}

export interface ServerStore {
  accounts: AccountStore;
  refreshTokens: RefreshTokens;
  avatars: AvatarStore;
  accessTokens: AccessTokenStore;
  rateLimits: RateLimits;
  /** Resolves while the database answers (GET /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
