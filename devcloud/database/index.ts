/**
 * database/: the CloudBase database as wx-server-sdk 4.0.2 talks to it (through @cloudbase/node-sdk 3.17.2 and
 * @cloudbase/database 1.4.3: `POST .../admin` with `{action, collectionName, ...}`), emulated on nedb. Queries,
 * updates and transactions follow the service's (MongoDB's) semantics.
 */
import {
  calculateDocument,
  getDocument,
  insertDocument,
  modifyAndReturnDoc,
  modifyDocument,
  removeDocument,
  type Action,
  type ActionContext,
  type Reply,
} from './actions';
import { aggregate, aggregateReply, lookupSources, readPipeline } from './aggregate';
import {
  collectionAlreadyExist,
  collectionNotExist,
  DevCloudError,
  ErrorCode,
  invalidParam,
  requestFailed,
} from './errors';
import type { RequestBody } from './request';
import { checkCollectionName, CollectionRegistry, Mutex } from './store';
import { Transaction, VersionClock, type DocSource } from './transactions';
import { clone, compareValues, type Doc } from './values';

export { DevCloudError, ErrorCode } from './errors';

export interface DevDatabaseOptions {
  /** Persist on disk, one nedb file per collection under this folder; absent: in memory. */
  dir?: string;
}

/** MongoDB aborts a transaction that lives longer than transactionLifetimeLimitSeconds (60 s by default). */
const TRANSACTION_LIFETIME_MS = 60_000;

const DOCUMENT_ACTIONS: Record<string, Action> = {
  'database.getDocument': getDocument,
  'database.calculateDocument': calculateDocument,
  'database.insertDocument': insertDocument,
  'database.modifyDocument': modifyDocument,
  'database.modifyAndReturnDoc': modifyAndReturnDoc,
  'database.removeDocument': removeDocument,
};

/** Every action this emulator answers (what a database fault's match.action may name). */
export const DATABASE_ACTIONS: readonly string[] = [
  ...Object.keys(DOCUMENT_ACTIONS),
  'database.aggregateDocuments',
  'database.startTransaction',
  'database.commitTransaction',
  'database.abortTransaction',
  'database.addCollection',
];

export class DevDatabase {
  private readonly registry: CollectionRegistry;
  /** Every action on a collection runs under its lock: writes are serialized and commits are seen whole. */
  private readonly locks = new Map<string, Mutex>();
  private readonly clock = new VersionClock();
  private readonly transactions = new Map<string, Transaction>();
  private closed = false;

  constructor(options: DevDatabaseOptions = {}) {
    this.registry = new CollectionRegistry(options.dir);
  }

  /** Handle one SDK request body. Returns the reply fields to send next to requestId; throws DevCloudError. */
  async handle(action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.closed) throw new DevCloudError(ErrorCode.systemError, 'devcloud database is closed');
    this.expireTransactions();
    switch (action) {
      case 'database.startTransaction':
        return this.startTransaction();
      case 'database.commitTransaction':
        return this.commitTransaction(this.takeTransaction(body.transactionId));
      case 'database.abortTransaction':
        this.takeTransaction(body.transactionId);
        this.clock.closed();
        return {};
      case 'database.addCollection':
        await this.createCollection(checkCollectionName(body.collectionName));
        return {};
      case 'database.aggregateDocuments':
        return this.aggregate(body);
      default:
        return this.runDocumentAction(action, body);
    }
  }

  /** All documents of a collection as plain JS (Dates as Date), sorted by _id. */
  async dump(collection: string): Promise<Record<string, unknown>[]> {
    return this.lock(collection).run(async () => {
      const docs = await this.committedSource(collection).all();
      return docs.map((doc) => clone(doc)).sort((a, b) => compareValues(a._id, b._id));
    });
  }

  async collections(): Promise<string[]> {
    return this.registry.names();
  }

  hasCollection(name: string): boolean {
    return this.registry.exists(name);
  }

  /** db.createCollection: fails when the collection exists, as the service does. */
  async createCollection(name: string): Promise<void> {
    await this.lock(name).run(async () => {
      if (this.registry.exists(name)) throw collectionAlreadyExist();
      await this.registry.openOrCreate(name);
    });
  }

  /**
   * Makes sure the collections exist (as if created in the console: a project's declared collections, an import's);
   * returns the ones it created.
   */
  async ensureCollections(names: readonly string[]): Promise<string[]> {
    const created: string[] = [];
    for (const name of new Set(names.map((candidate) => checkCollectionName(candidate)))) {
      await this.lock(name).run(async () => {
        if (this.registry.exists(name)) return;
        await this.registry.openOrCreate(name);
        created.push(name);
      });
    }
    return created;
  }

  /** Deletes a collection and its documents (devcloud's own use, e.g. undoing a failed import; no SDK action does). */
  async dropCollection(name: string): Promise<void> {
    await this.lock(name).run(() => this.registry.drop(name));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.locks.values()].map((lock) => lock.idle()));
    this.transactions.clear();
    await this.registry.compactAll();
  }

  private async runDocumentAction(action: string, body: RequestBody): Promise<Reply> {
    const run = DOCUMENT_ACTIONS[action];
    if (!run)
      throw new DevCloudError(ErrorCode.invalidAction, `devcloud does not emulate the database action ${action}`);
    const collection = checkCollectionName(body.collectionName);
    const transaction = this.openTransaction(body.transactionId);
    // "在事务中不支持批量操作（where 语句），只支持单记录操作（collection.doc, collection.add）":
    // https://developers.weixin.qq.com/miniprogram/dev/wxcloud/guide/database/transaction.html
    if (transaction && body.queryType === 'WHERE') {
      throw new DevCloudError(
        ErrorCode.invalidOperator,
        'transactions support single-document operations only (collection.doc(), collection.add()): where() is not allowed in a transaction',
      );
    }
    return this.lock(collection).run(async () => {
      if (!this.registry.exists(collection)) throw collectionNotExist(collection);
      return run(this.context(collection, transaction), body);
    });
  }

  private async aggregate(body: RequestBody): Promise<Reply> {
    const collection = checkCollectionName(body.collectionName);
    return this.lock(collection).run(async () => {
      if (!this.registry.exists(collection)) throw collectionNotExist(collection);
      const pipeline = readPipeline(body, Date.now());
      const documents = await this.committedSource(collection).all();
      const foreign = new Map<string, readonly Doc[]>();
      for (const name of lookupSources(pipeline)) foreign.set(name, await this.committedSource(name).all());
      return aggregateReply(aggregate(documents, pipeline, foreign));
    });
  }

  private context(collection: string, transaction: Transaction | undefined): ActionContext {
    const committed = this.committedSource(collection);
    const now = Date.now();
    if (!transaction) {
      return {
        collection,
        now,
        source: committed,
        touch: () => undefined,
        write: (id, doc) => this.apply(collection, id, doc),
      };
    }
    const touch = (id: string): void => transaction.touch(collection, id, this.clock.versionOf(collection, id));
    return {
      collection,
      now,
      source: transaction.view(collection, committed),
      touch,
      write: async (id, doc) => {
        touch(id);
        transaction.buffer(collection, id, doc);
      },
    };
  }

  /** Looked up on each read, so a collection created by this very action becomes visible. */
  private committedSource(collection: string): DocSource {
    return {
      get: async (id) => (await this.registry.existing(collection))?.get(id),
      all: async () => (await this.registry.existing(collection))?.all() ?? [],
    };
  }

  private async apply(collection: string, id: string, doc: Doc | null): Promise<void> {
    const store = await this.registry.openOrCreate(collection);
    if (doc) await store.put(doc);
    else await store.delete(id);
    this.clock.bump(collection, id);
  }

  private startTransaction(): Reply {
    const transaction = new Transaction();
    this.transactions.set(transaction.id, transaction);
    this.clock.opened();
    return { transactionId: transaction.id };
  }

  private async commitTransaction(transaction: Transaction): Promise<Reply> {
    try {
      await this.lockAll(transaction.collections(), async () => {
        const conflict = transaction.findConflict((collection, id) => this.clock.versionOf(collection, id));
        if (conflict !== undefined) {
          throw new DevCloudError(
            ErrorCode.transactionConflict,
            `WriteConflict: ${conflict} was changed by another operation after this transaction read or wrote it; retry the transaction`,
          );
        }
        for (const write of transaction.writes()) await this.apply(write.collection, write.id, write.doc);
      });
    } finally {
      this.clock.closed();
    }
    return {};
  }

  /** Abandoned transactions (a crashed function never commits) would otherwise pin version bookkeeping forever. */
  private expireTransactions(): void {
    const now = Date.now();
    for (const [id, transaction] of this.transactions) {
      if (now - transaction.startedAt <= TRANSACTION_LIFETIME_MS) continue;
      this.transactions.delete(id);
      this.clock.closed();
    }
  }

  /** The transaction a document action runs in, if any. */
  private openTransaction(id: unknown): Transaction | undefined {
    if (id === undefined || id === null || id === '') return undefined;
    return this.findTransaction(id);
  }

  /** Commit and abort end the transaction whatever happens next. */
  private takeTransaction(id: unknown): Transaction {
    const transaction = this.findTransaction(id);
    this.transactions.delete(transaction.id);
    return transaction;
  }

  private findTransaction(id: unknown): Transaction {
    if (typeof id !== 'string' || id === '') throw invalidParam('transactionId must be a non-empty string');
    const transaction = this.transactions.get(id);
    if (!transaction)
      throw requestFailed(`NoSuchTransaction: transaction ${id} is not open (unknown, committed or aborted)`);
    return transaction;
  }

  private lock(collection: string): Mutex {
    let lock = this.locks.get(collection);
    if (!lock) {
      lock = new Mutex();
      this.locks.set(collection, lock);
    }
    return lock;
  }

  /** Locks taken in name order, so two commits never wait on each other in a cycle. */
  private lockAll<T>(collections: readonly string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...collections].sort();
    const locked = sorted.reduceRight<() => Promise<T>>((inner, name) => () => this.lock(name).run(inner), task);
    return locked();
  }
}
