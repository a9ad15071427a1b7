// eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK is CommonJS; keep module.exports itself as `this` for its methods
import cloud = require('wx-server-sdk');

/**
 * The one place that initialises wx-server-sdk. DYNAMIC_CURRENT_ENV makes every call use the environment the
 * function runs in; its typing is a symbol the init options do not accept, hence the cast (done once, here).
 * throwOnNotFound:false makes doc().get() of a missing document answer { data: null } instead of throwing, so
 * "not found" is a value rather than an error string to parse.
 */
cloud.init({
  env: cloud.DYNAMIC_CURRENT_ENV as unknown as string,
  throwOnNotFound: false,
} as Parameters<typeof cloud.init>[0]);

export { cloud };

export type Database = ReturnType<typeof cloud.database>;

let database: Database | undefined;
/** Lazily created so that a handler that never touches the database pays nothing for it. */
export function db(): Database {
  database ??= cloud.database();
  return database;
}
