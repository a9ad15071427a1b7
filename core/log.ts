/**
 * Structured log lines for cloud functions. Callers pass only safe fields: this module never receives a
 * session_key, an AppSecret or a raw WeChat reply, so none can leak into CloudBase's log.
 */
function line(level: 'warn' | 'error' | 'info', fn: string, code: string, fields: Record<string, unknown>): string {
  // The line's own level, fn and code come last: a field of the same name (an error's own `code`) cannot hide them.
  return JSON.stringify({ ...fields, level, fn, code });
}

export const log = {
  info: (fn: string, code: string, fields: Record<string, unknown> = {}) => console.log(line('info', fn, code, fields)),
  warn: (fn: string, code: string, fields: Record<string, unknown> = {}) =>
    console.warn(line('warn', fn, code, fields)),
  error: (fn: string, code: string, fields: Record<string, unknown> = {}) =>
    console.error(line('error', fn, code, fields)),
};
