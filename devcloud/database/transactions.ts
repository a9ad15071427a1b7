/**
 * Transactions with optimistic concurrency: writes are buffered per transaction and applied at commit,
 * which fails with DATABASE_TRANSACTION_CONFLICT when any document the transaction touched has changed since.
 */
import { randomBytes } from 'crypto';
import type { Doc } from './values';

/** Where an action reads documents from: a collection, or a collection seen through a transaction. */
export interface DocSource {
  get(id: string): Promise<Doc | undefined>;
  /** In insertion order; entries are read-only. */
  all(): Promise<readonly Doc[]>;
}

export const EMPTY_SOURCE: DocSource = {
  get: () => Promise.resolve(undefined),
  all: () => Promise.resolve([]),
};

/**
 * Per-document version counters, kept beside the documents (users never see them). Only needed while a
 * transaction is open: a document nobody wrote since the last transaction ended is at version 0.
 */
export class VersionClock {
  private clock = 0;
  private openTransactions = 0;
  private readonly versions = new Map<string, number>();

  versionOf(collection: string, id: string): number {
    return this.versions.get(key(collection, id)) ?? 0;
  }

  bump(collection: string, id: string): void {
    if (this.openTransactions > 0) this.versions.set(key(collection, id), ++this.clock);
  }

  opened(): void {
    this.openTransactions += 1;
  }

  closed(): void {
    this.openTransactions -= 1;
    if (this.openTransactions === 0) this.versions.clear();
  }
}

function key(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}

export interface BufferedWrite {
  collection: string;
  id: string;
  /** null: delete. */
  doc: Doc | null;
}

export class Transaction {
  readonly id = randomBytes(16).toString('hex');
  readonly startedAt = Date.now();
  /** Version of each document when the transaction first read or wrote it (0 also for "missing"). */
  private readonly seen = new Map<string, Map<string, number>>();
  private readonly pending = new Map<string, Map<string, Doc | null>>();

  touch(collection: string, id: string, version: number): void {
    const versions = mapFor(this.seen, collection);
    if (!versions.has(id)) versions.set(id, version);
  }

  buffer(collection: string, id: string, doc: Doc | null): void {
    mapFor(this.pending, collection).set(id, doc);
  }

  /** The collection as this transaction sees it: its own writes over the committed documents. */
  view(collection: string, base: DocSource): DocSource {
    // Looked up on every call: the action may buffer writes between its own reads.
    const pendingNow = (): ReadonlyMap<string, Doc | null> => this.pending.get(collection) ?? new Map();
    return {
      get: async (id) => {
        const pending = pendingNow();
        return pending.has(id) ? (pending.get(id) ?? undefined) : base.get(id);
      },
      all: async () => overlay(await base.all(), pendingNow()),
    };
  }

  collections(): string[] {
    return [...new Set([...this.seen.keys(), ...this.pending.keys()])].sort();
  }

  /** The first touched document whose version moved, as `collection/_id`; undefined when none did. */
  findConflict(versionOf: (collection: string, id: string) => number): string | undefined {
    for (const [collection, versions] of this.seen) {
      for (const [id, version] of versions) {
        if (versionOf(collection, id) !== version) return `${collection}/${id}`;
      }
    }
    return undefined;
  }

  writes(): BufferedWrite[] {
    return [...this.pending].flatMap(([collection, docs]) => [...docs].map(([id, doc]) => ({ collection, id, doc })));
  }
}

function mapFor<V>(maps: Map<string, Map<string, V>>, collection: string): Map<string, V> {
  let map = maps.get(collection);
  if (!map) {
    map = new Map();
    maps.set(collection, map);
  }
  return map;
}

/** Committed documents with buffered replacements in place, deletions dropped and new documents last. */
function overlay(committed: readonly Doc[], pending: ReadonlyMap<string, Doc | null>): readonly Doc[] {
  if (pending.size === 0) return committed;
  const seen = new Set<string>();
  const merged: Doc[] = [];
  for (const doc of committed) {
    seen.add(doc._id);
    const replaced = pending.has(doc._id) ? pending.get(doc._id) : doc;
    if (replaced) merged.push(replaced);
  }
  for (const [id, doc] of pending) if (doc && !seen.has(id)) merged.push(doc);
  return merged;
}
