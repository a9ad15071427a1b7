/**
 * Documents, import and export, as the console edits them. Writes go through the database actions wx-server-sdk
 * sends (insert, replace, remove), under the fault model as target 'database' (a pending database fault acts on
 * them as on a function's call); import and export are `--import` and `--export-on-exit`'s own code and format
 * (database/collections.ts). Documents are shown with their secrets as markers, which a save keeps as stored.
 */
import { EJSON } from 'bson';
import type * as http from 'http';
import {
  checkDocument,
  collectionFileText,
  fileNameOf,
  importCollectionFiles,
  parseCollectionFile,
  type CollectionFile,
} from '../../database/collections';
import { isPlainObject } from '../../database/values';
import type { CollectionView, DocumentPage, ExportEntry } from '../../protocol';
import { BODY_LIMITS } from '../../http/body';
import type { DevCloud } from '../cloud';
import { containsRedacted, redact, restoreRedacted } from '../redact';
import { badRequest, notFound, RouteError, type RouteGroup, type RouteInput } from '../router';

/** Documents per page when the request names no limit, and the most it may name. */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

export const DOCUMENT_ROUTES: RouteGroup = {
  title: 'Documents, import and export',
  intro:
    'Errors are `{code, message}` with an HTTP status: 400 `INVALID_ARGUMENT` (or `INVALID_COLLECTION_FILE`, or the ' +
    "database's own code, e.g. `INVALID_PARAM`), 404 `NOT_FOUND`, 409 for a duplicate `_id` (the database's E11000 " +
    'message), 503 `FAULT_RESET` / `FAULT_LOST` when an injected reset or lost reply acted on a write (lost: it was ' +
    'applied).',
  onDropped: 'answer',
  routes: [
    {
      method: 'GET',
      path: '/collections',
      answers: '`[{name, count}]`',
      run: async (cloud) => listCollections(cloud),
    },
    {
      method: 'GET',
      path: '/collections/:name/documents',
      query: '?search=&limit=50&offset=0',
      answers:
        '`{collection, total, offset, limit, documents}`: documents sorted by `_id`, ' +
        'relaxed Extended JSON (`{"$date": ...}`), secrets as markers; `search` keeps those whose JSON text ' +
        'contains it (case-insensitive); `limit` up to 500',
      run: findDocuments,
    },
    {
      method: 'POST',
      path: '/collections/:name/documents',
      takes: '`{document}`',
      answers:
        '`{_id}`: inserts the document (relaxed Extended JSON; no `_id`: a new one), as `database.insertDocument`',
      run: insertDocument,
    },
    {
      method: 'PUT',
      path: '/collections/:name/documents/:id',
      takes: '`{document}`',
      answers:
        '`{updated: 0 | 1}`: replaces the existing document whole, as `database.modifyDocument` with `merge: false` ' +
        '(`doc(id).set()`), markers kept as the stored values; 404 if it does not exist (it is not created), 400 if ' +
        '`_id` would change',
      run: replaceDocument,
    },
    {
      method: 'DELETE',
      path: '/collections/:name/documents/:id',
      answers: '`{deleted: 1}`, as `database.removeDocument`; 404 if it does not exist',
      run: removeDocument,
    },
    {
      method: 'GET',
      path: '/export',
      answers: '`[{collection, file, count}]`',
      run: async (cloud) => listExport(cloud),
    },
    {
      method: 'GET',
      path: '/export/:file',
      answers:
        "the collection's file (`<collection>.json`), byte for byte what `--export-on-exit` writes, as a download",
      stream: async (cloud, { params }, _request, response) => serveExportFile(cloud, params[0]!, response),
    },
    {
      method: 'POST',
      path: '/import',
      takes: '`{files: [{name: "<collection>.json", text}]}`',
      answers:
        "`{imported: {<collection>: count}}`: `--import`'s format and code, every file checked first and all " +
        'written in one transaction; a bad file answers 400 `INVALID_COLLECTION_FILE` naming the file and document, ' +
        'and changes nothing. At most 32 MB',
      bodyLimit: BODY_LIMITS.import,
      run: importFiles,
    },
  ],
};

async function listCollections(cloud: DevCloud): Promise<CollectionView[]> {
  const views: CollectionView[] = [];
  for (const name of await cloud.database.collections())
    views.push({ name, count: (await cloud.database.dump(name)).length });
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A document as the console shows it: relaxed Extended JSON, secrets as {"$redacted"} markers. */
function documentView(document: Record<string, unknown>): Record<string, unknown> {
  return EJSON.serialize(redact(document) as Record<string, unknown>, { relaxed: true });
}

/**
 * The documents of a collection, sorted by _id; `search` keeps those whose Extended JSON text (as shown, secrets
 * redacted) contains it, ignoring case. A read for inspection: it is not a database call and no fault acts on it.
 */
async function findDocuments(cloud: DevCloud, { params, query }: RouteInput): Promise<DocumentPage> {
  const collection = params[0]!;
  const limit = Number(query.get('limit') ?? DEFAULT_PAGE);
  const offset = Number(query.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw badRequest(`limit: 1 to ${MAX_PAGE}`);
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('offset: a whole number');
  const search = (query.get('search') ?? '').trim().toLowerCase();
  const views = (await cloud.database.dump(collection)).map(documentView);
  const matching = search ? views.filter((view) => JSON.stringify(view).toLowerCase().includes(search)) : views;
  return {
    collection,
    total: matching.length,
    offset,
    limit,
    documents: matching.slice(offset, offset + limit),
  };
}

/** The `document` field of a request: relaxed Extended JSON, checked as a collection file's document is. */
function documentOf(body: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(body.document)) throw badRequest('document: an object (relaxed Extended JSON)');
  let parsed: unknown;
  try {
    parsed = EJSON.deserialize(body.document, { relaxed: true });
  } catch (error) {
    throw badRequest(`document: not valid Extended JSON: ${(error as Error).message}`);
  }
  return checkDocument(parsed, 'document');
}

/** One write through the database actions the SDK sends, under the fault model as target 'database'. */
async function databaseWrite(
  cloud: DevCloud,
  action: string,
  collection: string,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const reply = await cloud.faults.run(
    { target: 'database', action, collection },
    {
      apply: async () => {
        try {
          const body = { action, envName: cloud.envId, collectionName: collection, ...fields };
          return { data: (await cloud.database.handle(action, body)).data as Record<string, unknown> };
        } catch (error) {
          const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : 'SYS_ERR';
          return { error: { code, message: (error as Error).message } };
        }
      },
      refuse: (code) => ({
        error: {
          code: typeof code === 'string' ? code : 'DATABASE_REQUEST_FAILED',
          message: 'devcloud: injected database fault',
        },
      }),
      outcomeOf: (result) => (result.error ? 'error' : 'ok'),
    },
  );
  if (reply.error) {
    const duplicate = reply.error.message.includes('E11000');
    throw new RouteError(duplicate ? 409 : 400, reply.error.code, reply.error.message);
  }
  return reply.data ?? {};
}

const ejson = (value: Record<string, unknown>) => EJSON.stringify(value, { relaxed: false });

async function insertDocument(cloud: DevCloud, { params, body }: RouteInput): Promise<{ _id: string }> {
  const document = documentOf(body);
  if (containsRedacted(document)) throw badRequest('a new document cannot hold {"$redacted"} markers: give the values');
  const data = await databaseWrite(cloud, 'database.insertDocument', params[0]!, { data: [ejson(document)] });
  const [id] = data.insertedIds as string[];
  return { _id: id! };
}

/**
 * Replaces the document `id` as `doc(id).set()` would, but only if it exists (a document deleted meanwhile is not
 * brought back: 404). Markers left in the edited document keep the stored values.
 */
async function replaceDocument(cloud: DevCloud, { params, body }: RouteInput): Promise<{ updated: number }> {
  const [collection, id] = [params[0]!, params[1]!];
  const edited = documentOf(body);
  if (edited._id !== undefined && edited._id !== id)
    throw badRequest(`_id cannot change (${JSON.stringify(id)}): add a new document instead`);
  const stored = (await cloud.database.dump(collection)).find((document) => document._id === id);
  if (!stored) throw notFound(`${collection} has no document ${JSON.stringify(id)}`);
  const fields = { ...(restoreRedacted(edited, stored) as Record<string, unknown>) };
  delete fields._id;
  const data = await databaseWrite(cloud, 'database.modifyDocument', collection, {
    queryType: 'DOC',
    query: ejson({ _id: id }),
    data: ejson(fields),
    merge: false,
    upsert: false,
    multi: false,
  });
  return { updated: Number(data.updated ?? 0) };
}

async function removeDocument(cloud: DevCloud, { params }: RouteInput): Promise<{ deleted: number }> {
  const [collection, id] = [params[0]!, params[1]!];
  const data = await databaseWrite(cloud, 'database.removeDocument', collection, {
    queryType: 'DOC',
    query: ejson({ _id: id }),
    multi: false,
  });
  const deleted = Number(data.deleted ?? 0);
  if (deleted === 0) throw notFound(`${collection} has no document ${JSON.stringify(id)}`);
  return { deleted };
}

// ---- import and export -----------------------------------------------------------------------------------------

async function listExport(cloud: DevCloud): Promise<ExportEntry[]> {
  return (await listCollections(cloud)).map(({ name, count }) => ({ collection: name, file: fileNameOf(name), count }));
}

/** One collection's file, exactly as `--export-on-exit` writes it, as a download. */
async function serveExportFile(cloud: DevCloud, file: string, response: http.ServerResponse): Promise<void> {
  const collections = await cloud.database.collections();
  const collection = collections.find((name) => fileNameOf(name) === file);
  if (collection === undefined) {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 'NOT_FOUND', message: `no collection is exported as ${file}` }));
    return;
  }
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="${file.replace(/["\\]/g, '_')}"`,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  response.end(collectionFileText(await cloud.database.dump(collection)));
}

/**
 * `{files: [{name: "<collection>.json", text}]}`: `--import`'s format and code. Every file is checked first and
 * all are written in one transaction: a bad file or document changes nothing (400 INVALID_COLLECTION_FILE).
 */
async function importFiles(cloud: DevCloud, { body }: RouteInput): Promise<{ imported: Record<string, number> }> {
  if (!Array.isArray(body.files) || body.files.length === 0)
    throw badRequest('files: [{name: "<collection>.json", text}], at least one');
  const files: CollectionFile[] = [];
  for (const item of body.files as unknown[]) {
    if (!isPlainObject(item) || typeof item.name !== 'string' || typeof item.text !== 'string')
      throw badRequest('each file is {name: "<collection>.json", text}');
    const file = parseCollectionFile(item.name, item.text);
    if (files.some((other) => other.collection === file.collection))
      throw badRequest(`${item.name}: collection ${file.collection} is given twice`);
    files.push(file);
  }
  return { imported: await importCollectionFiles(cloud.database, files) };
}
