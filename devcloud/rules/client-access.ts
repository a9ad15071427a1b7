/**
 * The service side of `wx.cloud.database()` on a simulated phone: `POST /devcloud/database {user, action, params}`,
 * where `action` and `params` are what the CloudBase database SDK sends (`database.getDocument`, `{collectionName,
 * query, ...}`), as the device's client (./api.ts) builds them. The request runs against the same database the
 * cloud functions use, as the phone's user, under the collection's security rules (../rules):
 *
 * - reads and counts need `read`, `add` needs `create`, `update` needs `update`, `remove` needs `delete`, and
 *   `doc(id).set()` needs `update` when the document exists and `create` when it does not;
 * - a `where()` query is allowed when the rule holds for every document its conditions reach (the query must be a
 *   subset of the rule); `'{openid}'` in a query's equality conditions is the caller's OPENID, substituted here as
 *   the service does ("查询条件中可使用字符串常量 {openid}，系统会自动替换为对应的用户身份标识",
 *   docs.cloudbase.net database/security-rules);
 * - a `doc(id)` call addresses one document: the rule is evaluated on that stored document (CloudBase's `doc` is
 *   "文档数据或查询条件", the document's data or the query's conditions). When it does not exist, the rule must
 *   hold from `{_id}` alone, so a stranger learns nothing about which ids exist;
 * - `_openid` and `_id` are the service's: `_openid` is stamped with the caller's OPENID on what a client creates
 *   and kept as it was by `doc.set`; a client update that would change either, in any shape, is refused;
 * - a client query returns at most 20 documents (the mini-program's default and cap for `limit`).
 *
 * Each call runs through the fault model as target 'device' (actions `cloud.database.get`, `.count`, `.add`,
 * `.update`, `.set`, `.remove`) and is recorded with the user and the collection.
 */
import { EJSON } from 'bson';
import { newDocId } from '../database/actions';
import { parseEJSON } from '../database/ejson';
import { splitPath } from '../database/paths';
import { toUpdateSpec, type UpdateSpec } from '../database/update';
import { isPlainObject, type PlainObject } from '../database/values';
import type { DevDatabase } from '../database';
import type { FaultInjector } from '../faults';
import { allowsDocument, allowsQuery, type CollectionRules, type Rule, type RuleRequest, type SecurityRules } from '.';
import { type DeviceAction, wxError, type WxError } from '../protocol';

/** The mini-program's `limit` cap (and default) for a client query; cloud functions get up to 1000. */
export const CLIENT_QUERY_LIMIT = 20;

/** The service's reply, as CloudBase answers the SDK: `{requestId, data}` or `{requestId, code, message}`. */
export type ServiceReply = { requestId: string; data?: unknown; code?: string; message?: string };

/** An injected 'device' fault's refusal (the wx errCode the phone's API fails with). */
export type ClientDatabaseReply = ServiceReply | { error: WxError };

const PERMISSION_DENIED = 'DATABASE_PERMISSION_DENIED';

/** The device action (fault model, call record) of an SDK action, or undefined for one clients cannot make. */
export function clientActionOf(action: string, params: PlainObject): DeviceAction | undefined {
  switch (action) {
    case 'database.getDocument':
      return 'cloud.database.get';
    case 'database.calculateDocument':
      return 'cloud.database.count';
    case 'database.insertDocument':
      return 'cloud.database.add';
    case 'database.modifyDocument':
      return params.merge === false ? 'cloud.database.set' : 'cloud.database.update';
    case 'database.removeDocument':
      return 'cloud.database.remove';
    default:
      return undefined;
  }
}

/** What the service needs of the local cloud: its database, the rules in force, the fault model. */
export interface ClientAccess {
  database: DevDatabase;
  rules: SecurityRules;
  faults: FaultInjector;
}

/** One client call from the phone of the user with `openid`. */
export async function clientDatabaseCall(
  access: ClientAccess,
  openid: string,
  body: PlainObject,
): Promise<ClientDatabaseReply> {
  const action = typeof body.action === 'string' ? body.action : '';
  const params = isPlainObject(body.params) ? body.params : {};
  const deviceAction = clientActionOf(action, params);
  const requestId = `devcloud-${newDocId()}`;
  if (!deviceAction)
    return { requestId, code: 'INVALID_ACTION', message: `the mini-program cannot call ${action || 'this action'}` };
  const collection = typeof params.collectionName === 'string' ? params.collectionName : '';
  return access.faults.run<ClientDatabaseReply>(
    { target: 'device', action: deviceAction, openid, ...(collection ? { collection } : {}) },
    {
      apply: async () => {
        try {
          return { requestId, ...(await serve(access, openid, action, params, collection)) };
        } catch (error) {
          const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : 'SYS_ERR';
          return { requestId, code, message: (error as Error).message ?? String(error) };
        }
      },
      refuse: (code) => ({
        error: wxError(deviceAction, typeof code === 'number' ? code : -1, 'devcloud: injected error'),
      }),
      outcomeOf: (reply) => ('error' in reply || reply.code !== undefined ? 'error' : 'ok'),
    },
  );
}

/** The reply's fields next to requestId. */
type Fields = Record<string, unknown>;

function denied(reason: string): Fields {
  return { code: PERMISSION_DENIED, message: `Permission denied (devcloud: ${reason})` };
}

function invalid(message: string): Fields {
  return { code: 'INVALID_PARAM', message };
}

async function serve(
  access: ClientAccess,
  openid: string,
  action: string,
  params: PlainObject,
  collection: string,
): Promise<Fields> {
  if (params.transactionId !== undefined && params.transactionId !== null && params.transactionId !== '')
    return invalid('transactions are not available to the mini-program');
  if (!collection) return invalid('collectionName is required');
  const rules = access.rules.for(collection);
  if (!rules) {
    const where = access.rules.dir ? `${access.rules.dir}/${collection}.json` : `a rules folder (--rules)`;
    return denied(`collection ${collection} has no security rules, so clients may not use it: add ${where}`);
  }
  const now = Date.now();
  const request: RuleRequest = { auth: { openid }, now };
  const rawQuery = readRawQuery(params);
  substituteOpenid(rawQuery, openid);
  const query = toValues(rawQuery, 'query', now);
  const forward = { ...params, ...(params.query === undefined ? {} : { query: JSON.stringify(rawQuery) }) };
  const docId = params.queryType === 'DOC' ? singleId(query) : undefined;
  const run = (sent: PlainObject) => access.database.handle(action, sent);

  /** Whether `rule` allows the call: on the addressed document for doc(id), else from the query. */
  const allows = async (rule: Rule, data?: unknown): Promise<boolean> => {
    const scoped = data === undefined ? request : { ...request, data };
    if (docId !== undefined) {
      const stored = await storedDocument(access, collection, docId, now);
      if (stored) return allowsDocument(rule, scoped, stored);
    }
    return allowsQuery(rule, scoped, query);
  };
  const refusal = (operation: string, rule: Rule) => denied(explain(rules, operation, rule, docId !== undefined));

  switch (action) {
    case 'database.getDocument':
    case 'database.calculateDocument': {
      if (!(await allows(rules.read))) return refusal('read', rules.read);
      const limit = typeof params.limit === 'number' ? params.limit : CLIENT_QUERY_LIMIT;
      const sent =
        action === 'database.getDocument' ? { ...forward, limit: Math.min(limit, CLIENT_QUERY_LIMIT) } : forward;
      return run(sent);
    }
    case 'database.insertDocument': {
      const items = Array.isArray(params.data) ? params.data : [params.data];
      const stamped: string[] = [];
      for (const item of items) {
        const raw = readRawObject(item, 'data');
        if ('_openid' in raw) return denied('_openid is set by the service and cannot be written by a client');
        const data = toValues(raw, 'data', now);
        if (raw._id === undefined) raw._id = newDocId();
        raw._openid = openid;
        if (!allowsDocument(rules.create, { ...request, data }, toValues(raw, 'data', now)))
          return refusal('create', rules.create);
        stamped.push(JSON.stringify(raw));
      }
      return run({ ...forward, data: stamped });
    }
    case 'database.modifyDocument':
      return params.merge === false
        ? set(access, rules, request, { forward, collection, docId, openid, now, refusal })
        : update(rules, { forward, run, allows, refusal, now });
    case 'database.removeDocument':
      if (!(await allows(rules.delete))) return refusal('delete', rules.delete);
      return run(forward);
    default:
      return invalid(`the mini-program cannot call ${action}`);
  }
}

interface UpdateContext {
  forward: PlainObject;
  run: (sent: PlainObject) => Promise<Fields>;
  allows: (rule: Rule, data?: unknown) => Promise<boolean>;
  refusal: (operation: string, rule: Rule) => Fields;
  now: number;
}

/** The top-level field of each path an update writes: every operator's fields, and where `$rename` moves them. */
function touchedFields(spec: UpdateSpec): Set<string> {
  const paths = Object.entries(spec).flatMap(([operator, fields]) => [
    ...Object.keys(fields),
    ...(operator === '$rename' ? Object.values(fields).filter((v): v is string => typeof v === 'string') : []),
  ]);
  return new Set(paths.map((path) => splitPath(path)[0] ?? path));
}

/**
 * where().update() and doc(id).update(). The data is read as the database reads it (toUpdateSpec: plain fields
 * are `$set`), so the check and the rule's `request.data` see exactly what would be written. An update never
 * creates a document from the mini-program (the SDK sends upsert: false; a raw request may not ask otherwise).
 */
async function update(rules: CollectionRules, ctx: UpdateContext): Promise<Fields> {
  const spec = toUpdateSpec(toValues(readRawObject(ctx.forward.data, 'data'), 'data', ctx.now));
  const touched = touchedFields(spec);
  if (touched.has('_openid')) return denied('_openid is set by the service and cannot be changed by a client');
  // The SDK refuses this before sending, with these words (-501007).
  if (touched.has('_id')) return invalid('不能更新_id的值');
  if (!(await ctx.allows(rules.update, setValues(spec)))) return ctx.refusal('update', rules.update);
  return ctx.run({ ...ctx.forward, upsert: false });
}

interface SetContext {
  forward: PlainObject;
  collection: string;
  docId: string | undefined;
  openid: string;
  now: number;
  refusal: (operation: string, rule: Rule) => Fields;
}

/** doc(id).set(): replaces the document (update rule) or creates it (create rule); `_openid` never moves. */
async function set(
  access: ClientAccess,
  rules: CollectionRules,
  request: RuleRequest,
  ctx: SetContext,
): Promise<Fields> {
  if (ctx.docId === undefined) return invalid('set() needs a document id');
  const raw = readRawObject(ctx.forward.data, 'data');
  const stored = await storedDocument(access, ctx.collection, ctx.docId, ctx.now);
  // A read-modify-write sends the document back as read: the same owner may stay, no other may be named.
  if ('_openid' in raw && !(stored && raw._openid === stored._openid))
    return denied('_openid is set by the service and cannot be written by a client');
  if ('_id' in raw && raw._id !== ctx.docId) return invalid('不能更新_id的值');
  const data = toValues(raw, 'data', ctx.now);
  if (stored) {
    if (!allowsDocument(rules.update, { ...request, data }, stored)) return ctx.refusal('update', rules.update);
    if (typeof stored._openid === 'string') raw._openid = stored._openid;
  } else {
    raw._openid = ctx.openid;
    const created = { ...toValues(raw, 'data', ctx.now), _id: ctx.docId };
    if (!allowsDocument(rules.create, { ...request, data }, created)) return ctx.refusal('create', rules.create);
  }
  return access.database.handle('database.modifyDocument', { ...ctx.forward, data: JSON.stringify(raw) });
}

/** Why a call was refused, for the developer reading the error. */
function explain(rules: CollectionRules, operation: string, rule: Rule, byId: boolean): string {
  const file = rules.file.split(/[\\/]/).pop() ?? rules.file;
  if (rule.kind === 'constant') return `${file}: ${operation} is false`;
  const subject = byId ? 'the document' : 'the query conditions (use _openid: "{openid}" for your own documents)';
  return `${file}: ${operation} rule "${rule.text}" does not hold for ${subject}`;
}

async function storedDocument(
  access: ClientAccess,
  collection: string,
  id: string,
  now: number,
): Promise<PlainObject | undefined> {
  const reply = await access.database.handle('database.getDocument', {
    collectionName: collection,
    query: EJSON.stringify({ _id: id }),
    queryType: 'DOC',
    limit: 1,
  });
  const list = (reply.data as { list?: unknown[] } | undefined)?.list ?? [];
  const [first] = list;
  return typeof first === 'string' ? (parseEJSON(first, 'document', now) as PlainObject) : undefined;
}

/** The query as sent: Extended JSON text, parsed as plain JSON so it can be forwarded unchanged but for {openid}. */
function readRawQuery(params: PlainObject): PlainObject {
  if (params.query === undefined || params.query === '') return {};
  return readRawObject(params.query, 'query');
}

function readRawObject(value: unknown, field: string): PlainObject {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw Object.assign(new Error(`${field} is not valid Extended JSON`), { code: 'INVALID_PARAM' });
    }
  }
  if (!isPlainObject(parsed)) throw Object.assign(new Error(`${field} must be an object`), { code: 'INVALID_PARAM' });
  return parsed;
}

/** Extended JSON to values (numbers, dates, server dates at `now`), as the database reads them. */
function toValues(raw: PlainObject, field: string, now: number): PlainObject {
  const value = parseEJSON(JSON.stringify(raw), field, now);
  return isPlainObject(value) ? value : {};
}

/**
 * `'{openid}'` as a field's plain equality value, at the top level or inside `$and` / `$or` / `$nor`, becomes the
 * caller's OPENID. Inside an operator (`_.eq('{openid}')`, `_.in([...])`) it stays a string, as on CloudBase.
 */
export function substituteOpenid(query: PlainObject, openid: string): void {
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (Array.isArray(value)) for (const part of value) if (isPlainObject(part)) substituteOpenid(part, openid);
    } else if (!key.startsWith('$') && value === '{openid}') {
      query[key] = openid;
    }
  }
}

/** `{_id: "x"}` alone: what doc(id) sends. */
function singleId(query: PlainObject): string | undefined {
  const keys = Object.keys(query);
  return keys.length === 1 && typeof query._id === 'string' ? query._id : undefined;
}

/** The plain values an update sets (`$set`, dotted paths nested), as the rule language's `request.data`. */
function setValues(spec: UpdateSpec): PlainObject {
  const out: PlainObject = {};
  for (const [path, value] of Object.entries(spec.$set ?? {})) {
    const parts = splitPath(path);
    let target = out;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      target = isPlainObject(next) ? next : (target[part] = {});
    }
    target[parts[parts.length - 1]!] = value;
  }
  return out;
}
