/**
 * What must never reach WeChat's servers, whatever the build produced: tests, TypeScript sources, source maps,
 * secrets (upload keys, .env files, DevTools' private config, an AppSecret written into code), build configs and
 * node_modules (a function's bundle holds what it needs: wx-server-sdk is bundled in).
 */
const RULES: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /(^|\/)node_modules\//, reason: 'node_modules (the bundle holds what the function needs)' },
  { pattern: /(^|\/)(__tests__|__mocks__|tests?)\//, reason: 'test' },
  { pattern: /\.(test|spec)\.[cm]?[jt]sx?$/, reason: 'test' },
  { pattern: /\.[cm]?tsx?$/, reason: 'TypeScript source' },
  { pattern: /\.map$/, reason: 'source map' },
  { pattern: /(^|\/)\.env(\.[^/]*)?$/, reason: 'secret (.env)' },
  { pattern: /\.(pem|key|p12|pfx)$/, reason: 'secret (key file)' },
  { pattern: /(^|\/)(project\.private\.config|deploy\.local)\.json$/, reason: 'secret (local config)' },
  { pattern: /(^|\/)tsconfig[^/]*\.json$/, reason: 'build config' },
];

const SECRET_CONTENT: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, reason: 'secret (private key inside)' },
  { pattern: /(APPSECRET|APP_SECRET|appSecret)\W{1,6}[0-9a-f]{32}\b/, reason: 'secret (AppSecret inside)' },
];

export function unwantedReason(file: string, content?: string | Buffer): string | undefined {
  const byName = RULES.find((rule) => rule.pattern.test(file));
  if (byName) return byName.reason;
  if (content === undefined) return undefined;
  const text = typeof content === 'string' ? content : content.toString('latin1');
  return SECRET_CONTENT.find((rule) => rule.pattern.test(text))?.reason;
}

export const KB = 1024;
export const MB = 1024 * KB;
/** WeChat's limits: main package and each subpackage 2 MB, all packages together 30 MB. */
export const MAIN_PACKAGE_LIMIT = 2 * MB;
export const SUBPACKAGE_LIMIT = 2 * MB;
export const TOTAL_LIMIT = 30 * MB;

export function formatBytes(bytes: number): string {
  if (bytes < KB) return `${bytes} B`;
  if (bytes < MB) return `${(bytes / KB).toFixed(1)} KB`;
  return `${(bytes / MB).toFixed(2)} MB`;
}
