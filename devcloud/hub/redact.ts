/**
 * What devcloud's inspection routes (the console's) never show: session keys, secrets, session tokens (a bearer
 * token shown is a token anyone reading the console can use), full phone numbers. A value
 * under a secret field name becomes a marker object `{"$redacted": "<hint>"}`, which no stored document can hold
 * (field names starting with `$` are refused by the database), so a document edited in the console and saved with
 * its markers keeps the stored values (see restoreRedacted).
 */
import { isPlainObject } from '../database/values';

export const REDACTED = '$redacted';

export interface RedactedMarker {
  [REDACTED]: string;
}

/** Field names whose values are secrets: a session_key, an AppSecret, a private key, a password. */
const SECRET_FIELD = /^(session_?key|app_?secret|secret|private_?key|password)$/i;
/** Field names whose values are bearer tokens: the kit's session and refresh tokens, WeChat's access_token. */
const TOKEN_FIELD = /^(token|refresh_?token|access_?token|id_?token)$/i;
/**
 * A compact JWS anywhere in a text: a base64url JOSE header (a JSON object, so it starts `eyJ`), a payload and a
 * signature. Requiring the header keeps dotted names and versions (`app.min.js`, `1.2.3`) out.
 */
const COMPACT_JWS = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Whether `text` holds something that looks like a compact JWS. */
export function containsCompactJws(text: string): boolean {
  COMPACT_JWS.lastIndex = 0;
  return COMPACT_JWS.test(text);
}

/** Field names whose values are phone numbers: shown masked, as the kit's functions answer them (138****1234). */
const PHONE_FIELD = /^(phone_?number|pure_?phone_?number|mobile)$/i;

export function isRedactedMarker(value: unknown): value is RedactedMarker {
  return isPlainObject(value) && Object.keys(value).length === 1 && typeof value[REDACTED] === 'string';
}

function marker(field: string, value: unknown): RedactedMarker | undefined {
  if (value === null || value === undefined) return undefined;
  if (SECRET_FIELD.test(field)) {
    const hint = typeof value === 'string' ? `${value.length} characters` : 'secret';
    return { [REDACTED]: hint };
  }
  if (TOKEN_FIELD.test(field)) return tokenMarker(value);
  if (PHONE_FIELD.test(field) && (typeof value === 'string' || typeof value === 'number')) {
    const digits = String(value);
    return { [REDACTED]: digits.length >= 7 ? `${digits.slice(0, 3)}****${digits.slice(-4)}` : '****' };
  }
  return undefined;
}

function tokenMarker(value: unknown): RedactedMarker {
  return { [REDACTED]: typeof value === 'string' ? `a token, ${value.length} characters` : 'a token' };
}

/** Nesting kept by redact(); deeper values (a hostile event nests thousands of levels) become a note. */
export const MAX_SHOWN_DEPTH = 64;

/**
 * A copy of `value` with secret and token fields replaced by markers, a string holding a compact JWS replaced by
 * a marker too (whole, so that a document saved from the console keeps it), and any of `secrets` found inside a
 * string replaced by `[redacted]`. Values that are not plain data (Dates, Buffers) are kept as they are; what is nested deeper than
 * MAX_SHOWN_DEPTH becomes a marker, `{"$redacted": "nested deeper than 64 levels"}`.
 */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === 'string') return containsCompactJws(value) ? tokenMarker(value) : redactText(value, secrets);
  if (!Array.isArray(value) && !isPlainObject(value)) return value;
  // A marker too, so that a document saved from the console keeps what it did not show.
  if (depth >= MAX_SHOWN_DEPTH) return { [REDACTED]: `nested deeper than ${MAX_SHOWN_DEPTH} levels` };
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(value))
    copy[field] = marker(field, item) ?? redact(item, secrets, depth + 1);
  return copy;
}

/**
 * `text` (a log line, an error message) with every occurrence of one of `secrets` (8 characters or more) replaced
 * by `[redacted]`, and every compact JWS by `[redacted token]`.
 */
export function redactText(text: string, secrets: readonly string[]): string {
  let result = text.replace(COMPACT_JWS, '[redacted token]');
  for (const secret of secrets)
    if (secret.length >= 8 && result.includes(secret)) result = result.split(secret).join('[redacted]');
  return result;
}

/** Whether a marker is anywhere inside `value`. */
export function containsRedacted(value: unknown): boolean {
  if (isRedactedMarker(value)) return true;
  if (Array.isArray(value)) return value.some(containsRedacted);
  return isPlainObject(value) && Object.values(value).some(containsRedacted);
}

/** Where a document sent back from the console still holds a marker that has no stored value: a field path. */
export class UnrestorableMarker extends Error {
  constructor(readonly path: string) {
    super(`${path} holds a {"${REDACTED}"} marker but the stored document has no value there to keep`);
  }
}

/**
 * A document sent back by the console, with each marker replaced by the stored value at the same path. Throws
 * UnrestorableMarker when there is none (a marker cannot be stored: it would be a `$` field name).
 */
export function restoreRedacted(edited: unknown, stored: unknown, path = ''): unknown {
  if (isRedactedMarker(edited)) {
    if (stored === undefined) throw new UnrestorableMarker(path || '(document)');
    return stored;
  }
  if (Array.isArray(edited))
    return edited.map((item, index) =>
      restoreRedacted(item, Array.isArray(stored) ? stored[index] : undefined, `${path}[${index}]`),
    );
  if (!isPlainObject(edited)) return edited;
  const copy: Record<string, unknown> = {};
  for (const [field, item] of Object.entries(edited))
    copy[field] = restoreRedacted(
      item,
      isPlainObject(stored) ? stored[field] : undefined,
      path ? `${path}.${field}` : field,
    );
  return copy;
}
