/**
 * Seeding and exporting collections as files: `<collection>.json` holds an array of documents in CloudBase's
 * Extended JSON, dates as `{"$date": "2024-01-01T00:00:00.000Z"}` or `{"$date": {"$numberLong": "1704067200000"}}`.
 * `devcloud --import DIR` reads them, `--export-on-exit DIR` writes them, and one round-trips into the other.
 */
import { EJSON } from 'bson';
import { existsSync } from 'fs';
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'fs/promises';
import { basename, join } from 'path';
import type { DevDatabase } from '.';
import { newDocId } from './actions';
import { isPlainObject, type PlainObject } from './values';

/** A collection file devcloud cannot use: the message names the file (and the document) and says what is wrong. */
export class CollectionFileError extends Error {
  override readonly name = 'CollectionFileError';
}

export interface CollectionFile {
  collection: string;
  file: string;
  documents: PlainObject[];
}

const SUFFIX = '.json';

/** File name of a collection: encoded, so any collection name is one safe file name (as the on-disk store does). */
export function fileNameOf(collection: string): string {
  return `${encodeURIComponent(collection)}${SUFFIX}`;
}

/** Reads and checks every `<collection>.json` in `dir`; throws CollectionFileError on the first bad one. */
export async function readCollectionFiles(dir: string): Promise<CollectionFile[]> {
  if (!existsSync(dir) || !(await stat(dir)).isDirectory())
    throw new CollectionFileError(`${dir}: no such folder to import collections from`);
  const names = (await readdir(dir)).filter((name) => name.endsWith(SUFFIX)).sort();
  const files: CollectionFile[] = [];
  for (const name of names) files.push(parseCollectionFile(join(dir, name), await readFile(join(dir, name), 'utf8')));
  return files;
}

/**
 * One `<collection>.json` file's text, checked (the collection is named by the file's base name, as `--import`
 * reads it); throws CollectionFileError naming `file`.
 */
export function parseCollectionFile(file: string, text: string): CollectionFile {
  const name = basename(file);
  if (!name.endsWith(SUFFIX)) throw new CollectionFileError(`${file}: a collection file is named <collection>.json`);
  let collection: string;
  try {
    collection = decodeURIComponent(name.slice(0, -SUFFIX.length));
  } catch {
    throw new CollectionFileError(`${file}: the file name is not a percent-encoded collection name`);
  }
  if (collection === '' || collection.length > 128)
    throw new CollectionFileError(`${file}: a collection name has 1 to 128 characters`);
  return { collection, file, documents: parseDocuments(text, file) };
}

/** The text `--export-on-exit` writes for a collection's documents (relaxed Extended JSON, as given). */
export function collectionFileText(documents: readonly Record<string, unknown>[]): string {
  return `${EJSON.stringify(documents, undefined, 2, { relaxed: true })}\n`;
}

function parseDocuments(text: string, file: string): PlainObject[] {
  let parsed: unknown;
  try {
    parsed = EJSON.parse(text, { relaxed: true });
  } catch (error) {
    throw new CollectionFileError(`${file}: not valid Extended JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new CollectionFileError(`${file}: expected an array of documents, found ${describe(parsed)}`);
  const ids = new Set<string>();
  return parsed.map((document: unknown, index) => {
    const where = `${file}: document ${index}`;
    const checked = checkDocument(document, where);
    const id = typeof checked._id === 'string' ? checked._id : newDocId();
    if (ids.has(id)) throw new CollectionFileError(`${where}: _id ${JSON.stringify(id)} appears twice`);
    ids.add(id);
    return { ...checked, _id: id };
  });
}

/**
 * One document as a collection file holds it, already parsed from Extended JSON (EJSON.deserialize, relaxed):
 * an object, `_id` absent or a non-empty string, every `$date` valid. Throws CollectionFileError starting `where`.
 */
export function checkDocument(document: unknown, where: string): PlainObject {
  if (!isPlainObject(document)) throw new CollectionFileError(`${where} is ${describe(document)}, not an object`);
  if (document._id !== undefined && (typeof document._id !== 'string' || document._id === ''))
    throw new CollectionFileError(`${where}: _id must be a non-empty string`);
  const badDate = findInvalidDate(document);
  if (badDate !== undefined) throw new CollectionFileError(`${where}: ${badDate} is not a valid $date`);
  return document;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** EJSON turns an unparseable `$date` into an Invalid Date rather than failing: find it. */
function findInvalidDate(value: unknown, path = ''): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? path || '(document)' : undefined;
  if (Array.isArray(value) || isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const found = findInvalidDate(item, path ? `${path}.${key}` : key);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Seeds the database from `dir`: each file's collection is created if missing (an empty file still names one), and
 * every document replaces the one with its `_id` (a document without one gets a new id). Everything is checked first
 * and written in one transaction, so a bad file or document changes nothing and creates no collection.
 * The writes go through the same database actions wx-server-sdk's `doc(id).set()` uses, with the same checks.
 * Returns the number of documents per collection.
 */
export async function importCollections(database: DevDatabase, dir: string): Promise<Record<string, number>> {
  return importCollectionFiles(database, await readCollectionFiles(dir));
}

/** importCollections for files already read and checked (parseCollectionFile): one transaction, all or nothing. */
export async function importCollectionFiles(
  database: DevDatabase,
  files: readonly CollectionFile[],
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const created = await database.ensureCollections(files.map(({ collection }) => collection));
  const { transactionId } = (await database.handle('database.startTransaction', {})) as { transactionId: string };
  let committed = false;
  try {
    for (const { collection, file, documents } of files) {
      for (const [index, document] of documents.entries()) {
        const { _id: id, ...fields } = document;
        try {
          await database.handle('database.modifyDocument', {
            collectionName: collection,
            transactionId,
            queryType: 'DOC',
            query: EJSON.stringify({ _id: id }, { relaxed: false }),
            data: EJSON.stringify(fields, { relaxed: false }),
            merge: false,
            upsert: true,
            multi: false,
          });
        } catch (error) {
          throw new CollectionFileError(`${file}: document ${index}: ${(error as Error).message}`);
        }
      }
      counts[collection] = documents.length;
    }
    await database.handle('database.commitTransaction', { transactionId });
    committed = true;
  } finally {
    if (!committed) {
      await database.handle('database.abortTransaction', { transactionId }).catch(() => undefined);
      for (const collection of created) await database.dropCollection(collection);
    }
  }
  return counts;
}

/**
 * Writes every collection to `dir/<collection>.json` (created if needed), documents sorted by `_id`, in relaxed
 * Extended JSON: dates stay dates (`{"$date": ...}`), numbers stay plain. Each file is written whole, then renamed
 * into place, so an interrupted export never leaves half a file. Returns the number of documents per collection.
 */
export async function exportCollections(database: DevDatabase, dir: string): Promise<Record<string, number>> {
  await mkdir(dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const collection of await database.collections()) {
    const documents = await database.dump(collection);
    const target = join(dir, fileNameOf(collection));
    const partial = `${target}.${process.pid}.partial`;
    await writeFile(partial, collectionFileText(documents));
    await rename(partial, target);
    counts[collection] = documents.length;
  }
  return counts;
}
