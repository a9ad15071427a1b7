/**
 * The control API's one style: each route group is a table of routes (hub/routes/*.ts), each route a method, a
 * path under /devcloud, what it takes and answers (README's route list is generated from these words), and a
 * handler. A handler answers a JSON value (HTTP 200) or throws a RouteError; a streaming route writes the
 * response itself.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { CollectionFileError } from '../database/collections';
import { DroppedConnection, InvalidFault } from '../faults';
import type { ControlError } from '../protocol';
import { answerTooLarge, BODY_LIMITS, BodyTooLarge, readBody } from '../http/body';
import type { DevCloud } from './cloud';
import { UnrestorableMarker } from './redact';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteInput {
  /** The path's `:name` parts, URL-decoded, in order. */
  params: string[];
  query: URLSearchParams;
  /** The JSON object sent ({} when there is none). */
  body: Record<string, unknown>;
}

interface RouteBase {
  method: Method;
  /** Under /devcloud; `:name` is a parameter (one path segment). */
  path: string;
  /** The query string it reads, as README shows it (`?after=<seq>`). */
  query?: string;
  /** What the body holds (README), empty when it takes none. */
  takes?: string;
  /** What it answers (README). */
  answers: string;
  /** The largest body it reads (default BODY_LIMITS.control). */
  bodyLimit?: number;
}

export interface JsonRoute extends RouteBase {
  run(cloud: DevCloud, input: RouteInput): Promise<unknown>;
}

/** Writes its own response (an event stream, a file); reads no body. */
export interface StreamRoute extends RouteBase {
  stream(cloud: DevCloud, input: RouteInput, request: IncomingMessage, response: ServerResponse): Promise<void>;
}

export type Route = JsonRoute | StreamRoute;

export interface RouteGroup {
  /** The heading of its table in README. */
  title: string;
  /** README's words before the table. */
  intro: string;
  /**
   * What an injected reset or lost reply does: 'close' drops the connection (a phone sees a network failure),
   * 'answer' says so with 503 FAULT_RESET / FAULT_LOST (the console shows it).
   */
  onDropped: 'close' | 'answer';
  routes: Route[];
}

/** A refusal: an HTTP status and `{code, message}`. */
export class RouteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RouteError';
  }
}

export const badRequest = (message: string) => new RouteError(400, 'INVALID_ARGUMENT', message);
export const notFound = (message: string) => new RouteError(404, 'NOT_FOUND', message);

interface CompiledRoute {
  route: Route;
  group: RouteGroup;
  pattern: RegExp;
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(readonly groups: readonly RouteGroup[]) {
    this.compiled = groups.flatMap((group) =>
      group.routes.map((route) => ({ route, group, pattern: patternOf(route.path) })),
    );
    const seen = new Set<string>();
    for (const { route } of this.compiled) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new Error(`two control routes are ${key}`);
      seen.add(key);
    }
  }

  /**
   * Serves one request under /devcloud (`path` is what follows it). Answers 404 for a route not in any table.
   * Returns whether a route changed something (any method but GET), for the console's live stream.
   */
  async serve(
    cloud: DevCloud,
    request: IncomingMessage,
    response: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const found = this.find(method, path);
    if (!found) {
      request.resume();
      return answer(response, 404, { code: 'NOT_FOUND', message: `${method} ${path}` });
    }
    const { entry, params } = found;
    const { route, group } = entry;
    try {
      if ('stream' in route) {
        await route.stream(cloud, { params: decoded(params), query, body: {} }, request, response);
        return;
      }
      const body = await readJsonObject(request, route.bodyLimit ?? BODY_LIMITS.control);
      const value = await route.run(cloud, { params: decoded(params), query, body });
      answer(response, 200, value ?? {});
    } catch (error) {
      if (error instanceof BodyTooLarge) return answerTooLarge(response, error.limit);
      if (error instanceof DroppedConnection && group.onDropped === 'close') throw error;
      const refusal = asRouteError(error);
      answer(response, refusal.status, { code: refusal.code, message: refusal.message } satisfies ControlError);
    } finally {
      if (method !== 'GET') cloud.changes.notify({ route: `${method} ${path}` });
    }
  }

  /** Every route, with its group, in table order. */
  routes(): Array<{ group: RouteGroup; route: Route }> {
    return this.compiled.map(({ group, route }) => ({ group, route }));
  }

  private find(method: string, path: string): { entry: CompiledRoute; params: string[] } | undefined {
    for (const entry of this.compiled) {
      if (entry.route.method !== method) continue;
      const match = entry.pattern.exec(path);
      if (match) return { entry, params: match.slice(1).map((part) => part ?? '') };
    }
    return undefined;
  }
}

function patternOf(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '([^/]+)' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

function decoded(params: string[]): string[] {
  try {
    return params.map((part) => decodeURIComponent(part));
  } catch {
    throw badRequest('not a valid URL path');
  }
}

function answer(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(value));
}

/** A body: a JSON object, or nothing ({}). */
async function readJsonObject(request: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const raw = await readBody(request, limit);
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('the body is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('the body is a JSON object');
  return parsed as Record<string, unknown>;
}

function asRouteError(error: unknown): RouteError {
  if (error instanceof RouteError) return error;
  if (error instanceof InvalidFault) return new RouteError(400, error.code, error.message);
  if (error instanceof CollectionFileError) return new RouteError(400, 'INVALID_COLLECTION_FILE', error.message);
  if (error instanceof UnrestorableMarker) return badRequest(error.message);
  if (error instanceof DroppedConnection) {
    return error.mode === 'reset'
      ? new RouteError(503, 'FAULT_RESET', 'an injected reset dropped the connection: nothing was applied')
      : new RouteError(503, 'FAULT_LOST', 'an injected fault lost the reply: the change was applied');
  }
  return new RouteError(500, 'SYS_ERR', error instanceof Error ? error.message : String(error));
}
