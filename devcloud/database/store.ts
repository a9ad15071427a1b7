/** Collections on nedb: one datastore (one file when persisted) per collection. */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'fs';
import { join } from 'path';
import Datastore from '@seald-io/nedb';
import { invalidParam } from './errors';
import { clone, type Doc, type PlainObject } from './values';

/**
 * What nedb holds. The user's fields live under `doc` so emulator bookkeeping never mixes with them;
 * `seq` records insertion order, which is the order MongoDB returns unsorted documents in.
 */
interface StoredRecord {
  _id: string;
  seq: number;
  doc: PlainObject;
}

/** Runs tasks one at a time, in call order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}

export class CollectionStore {
  /**
   * Documents in insertion order, so scans need no sort. Entries share objects with nedb: read-only.
   * Writes swap in a new array (copy on write), so a caller still iterating an older one is unaffected.
   */
  private ordered: readonly Doc[] | null = null;
  private positions = new Map<string, number>();

  private constructor(
    private readonly db: Datastore<StoredRecord>,
    private nextSeq: number,
  ) {}

  static async open(filename: string | undefined): Promise<CollectionStore> {
    const db = new Datastore<StoredRecord>(filename === undefined ? { inMemoryOnly: true } : { filename });
    await db.loadDatabaseAsync();
    const lastSeq = db.getAllData().reduce((max, record) => Math.max(max, record.seq), 0);
    return new CollectionStore(db, lastSeq + 1);
  }

  async get(id: string): Promise<Doc | undefined> {
    const record = await this.db.findOneAsync({ _id: id });
    return record ? toDoc(record) : undefined;
  }

  all(): readonly Doc[] {
    if (!this.ordered) {
      const docs = [...this.db.getAllData()].sort((a, b) => a.seq - b.seq).map(toDoc);
      this.positions = new Map(docs.map((doc, i) => [doc._id, i]));
      this.ordered = docs;
    }
    return this.ordered;
  }

  /** Insert or replace; an existing document keeps its place in insertion order. */
  async put(doc: Doc): Promise<void> {
    // nedb keeps $set values by reference: hand it a private copy (the cache shares it, read-only).
    const stored = clone(doc);
    const { _id: id, ...fields } = stored;
    const { numAffected } = await this.db.updateAsync({ _id: id }, { $set: { doc: fields } }, {});
    if (numAffected === 0) await this.db.insertAsync({ _id: id, seq: this.nextSeq++, doc: fields });
    this.cache(stored);
  }

  async delete(id: string): Promise<void> {
    this.ordered = null;
    await this.db.removeAsync({ _id: id }, {});
  }

  private cache(doc: Doc): void {
    if (!this.ordered) return;
    const next = [...this.ordered];
    const at = this.positions.get(doc._id);
    if (at === undefined) {
      this.positions.set(doc._id, next.length);
      next.push(doc);
    } else {
      next[at] = doc;
    }
    this.ordered = next;
  }

  /** Rewrites the data file without its update history (nedb appends every write). */
  async compact(): Promise<void> {
    await this.db.compactDatafileAsync();
  }
}

function toDoc(record: StoredRecord): Doc {
  return { _id: record._id, ...record.doc };
}

/**
 * Collections as the service has them: one exists once created (db.createCollection, a declared rules file, an
 * import), and only then can it be read or written. With a folder, a collection exists once its file does.
 */
export class CollectionRegistry {
  private readonly stores = new Map<string, Promise<CollectionStore>>();

  constructor(private readonly dir: string | undefined) {
    if (dir !== undefined) mkdirSync(dir, { recursive: true });
  }

  exists(name: string): boolean {
    if (this.stores.has(name)) return true;
    const file = this.fileFor(name);
    return file !== undefined && existsSync(file);
  }

  /** The store, or undefined for a collection that does not exist. */
  existing(name: string): Promise<CollectionStore> | undefined {
    const opened = this.stores.get(name);
    if (opened) return opened;
    return this.exists(name) ? this.openStore(name) : undefined;
  }

  /** Opens the collection, creating it (and its file) when missing. */
  openOrCreate(name: string): Promise<CollectionStore> {
    return this.stores.get(name) ?? this.openStore(name);
  }

  /** Forgets the collection and deletes its file (devcloud's own use: undoing a failed import). */
  async drop(name: string): Promise<void> {
    const opened = this.stores.get(name);
    this.stores.delete(name);
    if (opened) await opened.catch(() => undefined);
    const file = this.fileFor(name);
    if (file !== undefined) rmSync(file, { force: true });
  }

  names(): string[] {
    const names = new Set(this.stores.keys());
    if (this.dir !== undefined) {
      for (const file of readdirSync(this.dir)) {
        if (file.endsWith('.db')) names.add(decodeURIComponent(file.slice(0, -'.db'.length)));
      }
    }
    return [...names].sort();
  }

  async compactAll(): Promise<void> {
    for (const store of this.stores.values()) await (await store).compact();
  }

  private openStore(name: string): Promise<CollectionStore> {
    const opening = CollectionStore.open(this.fileFor(name));
    this.stores.set(name, opening);
    opening.catch(() => this.stores.delete(name));
    return opening;
  }

  private fileFor(name: string): string | undefined {
    // encodeURIComponent keeps any collection name a single safe file name.
    return this.dir === undefined ? undefined : join(this.dir, `${encodeURIComponent(name)}.db`);
  }
}

export function checkCollectionName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
    throw invalidParam('collectionName must be a non-empty string of at most 128 characters');
  }
  return name;
}
