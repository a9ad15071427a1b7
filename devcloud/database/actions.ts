/** The document actions of the CloudBase database API, with the reply fields the SDK reads. */
import { randomBytes } from 'crypto';
import { parseEJSON, stringifyEJSON } from './ejson';
import { invalidParam, notEmulated, requestFailed } from './errors';
import { nearestFirst, page, project, sortDocs, toSortSpec } from './find';
import { isOperatorObject, matches, type Query } from './match';
import { setAt, splitPath } from './paths';
import {
  idOnly,
  readBool,
  readEJSON,
  readEnvName,
  readLimit,
  readMulti,
  readOffset,
  readOrder,
  readProjection,
  readQuery,
  type RequestBody,
} from './request';
import type { DocSource } from './transactions';
import { applyUpdate, replaceDocument, toUpdateSpec } from './update';
import { clone, findInvalidFieldName, isPlainObject, valueEquals, type Doc, type PlainObject } from './values';

/** One action's view of its collection; inside a transaction, reads see its writes and writes are buffered. */
export interface ActionContext {
  readonly collection: string;
  readonly source: DocSource;
  /** Request time: db.serverDate() values are this plus their offset. */
  readonly now: number;
  /** Remembers that the transaction (if any) depends on this document, present or not. */
  touch(id: string): void;
  /** null deletes. */
  write(id: string, doc: Doc | null): Promise<void>;
}

export type Reply = Record<string, unknown>;
export type Action = (ctx: ActionContext, body: RequestBody) => Promise<Reply>;

async function findMatching(source: DocSource, query: Query): Promise<Doc[]> {
  const id = idOnly(query);
  if (id !== undefined) {
    const doc = await source.get(id);
    return doc ? [doc] : [];
  }
  return (await source.all()).filter((doc) => matches(doc, query));
}

/** A lookup by `_id` depends on that document even when it is missing (someone may create it). */
function touchAll(ctx: ActionContext, query: Query, docs: readonly Doc[]): void {
  const id = idOnly(query);
  if (id !== undefined) ctx.touch(id);
  for (const doc of docs) ctx.touch(doc._id);
}

export const getDocument: Action = async (ctx, body) => {
  const query = readQuery(body, ctx.now);
  const matching = nearestFirst(await findMatching(ctx.source, query), query);
  const sorted = sortDocs(matching, toSortSpec(readOrder(body, ctx.now)));
  const limit = readLimit(body);
  const offset = readOffset(body);
  const docs = page(sorted, offset, limit);
  touchAll(ctx, query, docs);
  const projection = readProjection(body, ctx.now);
  // The SDK parses each entry with EJSON.parse; limit/offset are informational.
  return { data: { list: docs.map((doc) => stringifyEJSON(project(doc, projection))), limit, offset } };
};

export const calculateDocument: Action = async (ctx, body) => {
  const total = (await findMatching(ctx.source, readQuery(body, ctx.now))).length;
  return { data: { total } };
};

export const insertDocument: Action = async (ctx, body) => {
  const items = Array.isArray(body.data) ? body.data : [body.data];
  const insertedIds: string[] = [];
  // Ordered insert, like MongoDB's insertMany: documents before a duplicate stay inserted.
  for (const item of items) {
    const doc = newDocument(typeof item === 'string' ? parseEJSON(item, 'data', ctx.now) : item);
    ctx.touch(doc._id);
    if (await ctx.source.get(doc._id)) throw duplicateKey(ctx, body, doc._id);
    await ctx.write(doc._id, doc);
    insertedIds.push(doc._id);
  }
  return { data: { insertedIds } };
};

export const modifyDocument: Action = async (ctx, body) => {
  const query = readQuery(body, ctx.now);
  const merge = readBool(body, 'merge', true);
  const data = readEJSON(body, 'data', ctx.now);
  const change = merge ? updater(data, ctx.now, query) : (doc: Doc) => replaceDocument(doc._id, data);
  const matched = await findMatching(ctx.source, query);
  const targets = readMulti(body) ? matched : matched.slice(0, 1);
  touchAll(ctx, query, targets);
  if (targets.length === 0 && readBool(body, 'upsert', false)) {
    const id = idOnly(query) ?? newDocId();
    const created = merge ? change(upsertSeed(query, id)) : replaceDocument(id, data);
    await insertChecked(ctx, body, created);
    return { data: { updated: 0, upsert_id: id } };
  }
  // All new versions first, so a failing update writes nothing.
  const changed = targets
    .map((doc) => ({ doc, next: storable(change(doc)) }))
    .filter(({ doc, next }) => !valueEquals(doc, next));
  for (const { next } of changed) await ctx.write(next._id, next);
  // `updated` counts documents that actually changed (MongoDB's nModified).
  return { data: { updated: changed.length } };
};

export const modifyAndReturnDoc: Action = async (ctx, body) => {
  const query = readQuery(body, ctx.now);
  const [target] = await findMatching(ctx.source, query);
  touchAll(ctx, query, target ? [target] : []);
  if (!target) return { data: { updated: 0 } };
  const next = storable(updater(readEJSON(body, 'data', ctx.now), ctx.now, query)(target));
  const changed = !valueEquals(target, next);
  if (changed) await ctx.write(next._id, next);
  return { data: { updated: changed ? 1 : 0, doc: stringifyEJSON(next) } };
};

export const removeDocument: Action = async (ctx, body) => {
  const query = readQuery(body, ctx.now);
  const matched = await findMatching(ctx.source, query);
  const targets = readMulti(body) ? matched : matched.slice(0, 1);
  touchAll(ctx, query, targets);
  for (const doc of targets) await ctx.write(doc._id, null);
  return { data: { deleted: targets.length } };
};

function updater(data: unknown, now: number, query: Query): (doc: Doc) => Doc {
  const spec = toUpdateSpec(data);
  return (doc) => applyUpdate(doc, spec, now, query);
}

async function insertChecked(ctx: ActionContext, body: RequestBody, doc: Doc): Promise<void> {
  ctx.touch(doc._id);
  if (await ctx.source.get(doc._id)) throw duplicateKey(ctx, body, doc._id);
  await ctx.write(doc._id, storable(doc));
}

/** MongoDB upserts start from the query's equality fields. */
function upsertSeed(query: Query, id: string): Doc {
  const seed: PlainObject = {};
  for (const [path, value] of Object.entries(query)) {
    if (path.startsWith('$') || isOperatorObject(value) || value instanceof RegExp) continue;
    setAt(seed, splitPath(path), clone(value));
  }
  return { ...seed, _id: id };
}

function newDocument(value: unknown): Doc {
  if (!isPlainObject(value)) throw invalidParam('each document to insert must be an object');
  const id = value._id === undefined ? newDocId() : value._id;
  if (typeof id !== 'string') throw notEmulated(`non-string _id values (got ${typeof id})`);
  const fields = Object.entries(value).filter(([key]) => key !== '_id');
  return storable({ _id: id, ...Object.fromEntries(fields) });
}

/** What the store can keep: MongoDB's field-name rules, and no RegExp values (nedb cannot persist them). */
function storable(doc: Doc): Doc {
  const bad = findInvalidFieldName(doc);
  if (bad !== undefined)
    throw requestFailed(`field name '${bad}' is not allowed: names must not start with '$' or contain '.'`);
  if (containsRegExp(doc)) throw notEmulated('storing regular expressions in documents');
  return doc;
}

function containsRegExp(value: unknown): boolean {
  if (value instanceof RegExp) return true;
  if (Array.isArray(value)) return value.some(containsRegExp);
  return isPlainObject(value) && Object.values(value).some(containsRegExp);
}

/** 32 hex characters like the service's ids: a seconds timestamp, then randomness. */
export function newDocId(): string {
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return seconds + randomBytes(12).toString('hex');
}

/** MongoDB's message; the SDK has no code of its own for duplicates, the service reports DATABASE_REQUEST_FAILED. */
function duplicateKey(ctx: ActionContext, body: RequestBody, id: string): Error {
  const message = `E11000 duplicate key error collection: ${readEnvName(body)}.${ctx.collection} index: _id_ dup key: { _id: ${JSON.stringify(id)} }`;
  return requestFailed(message);
}
