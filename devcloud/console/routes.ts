/** The console's sections as hash routes (`#/database/users`): each has a link, and the back button works. */

export interface Route {
  section: Section;
  /** What the section shows inside it (the collection, for the database). */
  detail?: string;
}

export const SECTIONS = [
  { id: 'functions', label: 'Functions' },
  { id: 'database', label: 'Database' },
  { id: 'storage', label: 'Storage' },
  { id: 'users', label: 'Users' },
  { id: 'wechat', label: 'WeChat & faults' },
  { id: 'data', label: 'Import & export' },
] as const;

export type Section = (typeof SECTIONS)[number]['id'];

/** `#/database/users` -> {section: 'database', detail: 'users'}; anything else is the first section. */
export function parseRoute(hash: string): Route {
  const [, section, ...rest] = hash.split('/');
  const known = SECTIONS.find((candidate) => candidate.id === section);
  if (!hash.startsWith('#/') || !known) return { section: 'functions' };
  let detail: string | undefined;
  try {
    detail = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  } catch {
    detail = undefined; // a hand-typed hash that is not percent-encoded
  }
  return detail ? { section: known.id, detail } : { section: known.id };
}

export function routeHref(section: Section, detail?: string): string {
  return detail === undefined ? `#/${section}` : `#/${section}/${encodeURIComponent(detail)}`;
}
