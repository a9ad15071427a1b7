/**
 * `wx.cloud.database()` on the simulated phone: the mini-program's client database API, with its results and
 * errors (`{data, errMsg: 'collection.get:ok'}`, `{_id}`, `{stats: {updated}}`, `{stats: {removed}}`, `{total}`;
 * failures `{errCode, errMsg: '<api>:fail <errCode> <description>. <message>'}`, e.g. -502003 for a security rule
 * refusal), as wx-server-sdk also shapes them (it mirrors the client API).
 *
 * Queries, commands (`db.command`), `db.serverDate()`, `db.RegExp` and `db.Geo` are built and serialized by
 * @cloudbase/database, the CloudBase database SDK the official SDKs use, so a query means here what it means there.
 * Its requests go to devcloud's `POST /devcloud/database` (./service.ts) instead of the CloudBase API, and the
 * answer comes back in the client's shape.
 */
import type * as CloudbaseDatabase from '@cloudbase/database';
import { wxApi, type WxCallbacks as WxApiCallbacks } from './wx-api';
import type { Db } from '@cloudbase/database';
import type { WxError } from '../protocol';

let loaded: typeof Db | undefined;
/**
 * The SDK, loaded on the first wx.cloud.database() (about 80 ms): every simulated phone is built for every test
 * file, most of which never touch the database.
 */
function sdk(): typeof Db {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load (see above); import() is async
  loaded ??= (require('@cloudbase/database') as typeof CloudbaseDatabase).Db;
  return loaded;
}

/** Sends one SDK request (`database.getDocument`, params) as the phone's user; resolves to the service's reply. */
export type DatabaseTransport = (action: string, params: Record<string, unknown>) => Promise<unknown>;

/** The transport could not reach devcloud (no network, an injected reset or lost reply). */
export class TransportFailure extends Error {}

/** An injected 'device' fault: the API fails with this errCode. */
export class DeviceRefusal extends Error {
  constructor(readonly errCode: number) {
    super('devcloud: injected error');
  }
}

export interface ClientDatabaseOptions {
  transport: DatabaseTransport;
  /** Called once per API call (for the device's trail), e.g. ('collection.get', 'users'). */
  onCall?: (api: string, collection: string) => void;
}

type WxCallbacks<T> = WxApiCallbacks<T, WxError>;

type DocData = Record<string, unknown>;

export interface GetResult {
  data: DocData[];
  errMsg: string;
}
export interface DocumentGetResult {
  data: DocData;
  errMsg: string;
}
export interface CountResult {
  total: number;
  errMsg: string;
}
export interface AddResult {
  _id: string | number;
  errMsg: string;
}
export interface UpdateResult {
  stats: { updated: number };
  errMsg: string;
}
export interface RemoveResult {
  stats: { removed: number };
  errMsg: string;
}
export interface SetResult {
  _id: string | number;
  stats: { updated: number; created: number };
  errMsg: string;
}

/** wx-server-sdk's table (TCB_ERR_CODE) from the service's code strings to errCode, and their descriptions. */
const ERR_CODE: Record<string, number> = {
  SYS_ERR: -501001,
  SERVER_TIMEOUT: -501002,
  EXCEED_REQUEST_LIMIT: -501003,
  INVALID_PARAM: -501007,
  DATABASE_REQUEST_FAILED: -502001,
  DATABASE_INVALID_OPERRATOR: -502002,
  DATABASE_PERMISSION_DENIED: -502003,
  DATABASE_COLLECTION_EXCEED_LIMIT: -502004,
  DATABASE_COLLECTION_NOT_EXIST: -502005,
};
const ERR_TEXT: Record<number, string> = {
  [-1]: 'system error',
  [-401003]: 'API parameter type error',
  [-501001]: 'resource system error',
  [-501002]: 'resource server timeout',
  [-501003]: 'exceed request limit',
  [-501007]: 'invalid parameters',
  [-502001]: 'database request fail',
  [-502002]: 'database invalid command',
  [-502003]: 'database permission denied',
  [-502004]: 'database exceed collection limit',
  [-502005]: 'database collection not exists',
};

function failure(api: string, errCode: number, message: string): WxError {
  return { errCode, errMsg: `${api}:fail ${errCode} ${ERR_TEXT[errCode] ?? ''}. ${message}` };
}

/** Any failure of an inner call, as the client API reports it. */
function toWxError(api: string, error: unknown): WxError {
  if (error instanceof TransportFailure) return { errCode: -1, errMsg: `${api}:fail request:fail ${error.message}` };
  if (error instanceof DeviceRefusal) return failure(api, error.errCode, error.message);
  if (isWxError(error)) return error;
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    const message = 'message' in error && typeof error.message === 'string' ? error.message : '';
    return failure(api, ERR_CODE[error.code] ?? ERR_CODE.SYS_ERR!, message);
  }
  return { errCode: -1, errMsg: `${api}:fail ${error instanceof Error ? error.message : String(error)}` };
}

function isWxError(value: unknown): value is WxError {
  return Boolean(value && typeof value === 'object' && 'errCode' in value && 'errMsg' in value);
}

/** An SDK result that carries the service's error code (the SDK returns those rather than throwing). */
function checked<T>(result: T): T {
  if (result && typeof result === 'object' && 'code' in result && result.code) throw result;
  return result;
}

/** Runs a wx-style API with its callbacks (wx-api.ts), failures in the mini-program's error shape. */
function wxCall<T>(api: string, options: WxCallbacks<T> | undefined, run: () => Promise<T>): Promise<T> {
  return wxApi(options, () =>
    run().catch((error: unknown) => {
      throw toWxError(api, error);
    }),
  );
}

function requireData(api: string, data: unknown): DocData {
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw failure(
      api,
      -401003,
      `parameter.data should be object instead of ${Array.isArray(data) ? 'array' : typeof data}`,
    );
  if (Object.keys(data).length === 0) throw failure(api, -401003, 'parameter.data should not be an empty object');
  return data as DocData;
}

/** Where the device's transport lives on an inner Db's config (the SDK passes the config to its request class). */
const TRANSPORT = '__devcloudTransport';

/** @cloudbase/database's request class: the SDK constructs one per query object with the Db's config. */
class DeviceRequest {
  private readonly transport: DatabaseTransport;
  constructor(config: Record<string, unknown>) {
    this.transport = config[TRANSPORT] as DatabaseTransport;
  }
  send(action: string, params: Record<string, unknown>): Promise<unknown> {
    return this.transport(action, params);
  }
}

/**
 * Runs `build` (which constructs SDK query objects) with the device's request class. The SDK reads its request
 * class from a static field that @cloudbase/node-sdk also sets: swapping it only for the synchronous construction
 * keeps a wx-server-sdk loaded in the same process unaffected, and each object keeps the class it was built with.
 */
function withDeviceRequests<T>(build: () => T): T {
  const Db = sdk();
  const previous: unknown = Db.reqClass;
  Db.reqClass = DeviceRequest;
  try {
    return build();
  } finally {
    Db.reqClass = previous;
  }
}

type InnerQuery = ReturnType<Db['collection']>;
type InnerDocument = ReturnType<InnerQuery['doc']>;

interface Scope {
  collection: string;
  onCall: (api: string, collection: string) => void;
}

export class ClientQuery {
  constructor(
    protected readonly inner: InnerQuery | ReturnType<InnerQuery['where']>,
    protected readonly scope: Scope,
  ) {}

  /** A condition object, or a logic command (`_.or([...])`, `_.and([...])`). */
  where(condition: object): ClientQuery {
    return new ClientQuery(
      withDeviceRequests(() => this.inner.where(condition)),
      this.scope,
    );
  }

  orderBy(fieldPath: string, order: 'asc' | 'desc'): ClientQuery {
    return new ClientQuery(
      withDeviceRequests(() => this.inner.orderBy(fieldPath, order)),
      this.scope,
    );
  }

  limit(max: number): ClientQuery {
    return new ClientQuery(
      withDeviceRequests(() => this.inner.limit(max)),
      this.scope,
    );
  }

  skip(offset: number): ClientQuery {
    return new ClientQuery(
      withDeviceRequests(() => this.inner.skip(offset)),
      this.scope,
    );
  }

  field(projection: Record<string, unknown>): ClientQuery {
    return new ClientQuery(
      withDeviceRequests(() => this.inner.field(projection)),
      this.scope,
    );
  }

  get(options?: WxCallbacks<GetResult>): Promise<GetResult> {
    return this.call('collection.get', options, async () => {
      const result = checked(await this.inner.get());
      return { data: result.data as DocData[], errMsg: 'collection.get:ok' };
    });
  }

  count(options?: WxCallbacks<CountResult>): Promise<CountResult> {
    return this.call('collection.count', options, async () => {
      const result = checked((await this.inner.count()) as { total: number });
      return { total: result.total, errMsg: 'collection.count:ok' };
    });
  }

  /** Batch update (base library 2.9.4+, under security rules). */
  update(options: { data: DocData; multi?: boolean } & WxCallbacks<UpdateResult>): Promise<UpdateResult> {
    return this.call('collection.update', options, async () => {
      const data = requireData('collection.update', options?.data);
      const query = options.multi === false ? this.inner.options({ multiple: false }) : this.inner;
      const result = checked((await query.update(data)) as { updated?: number });
      return { stats: { updated: result.updated ?? 0 }, errMsg: 'collection.update:ok' };
    });
  }

  /** Batch remove (base library 2.9.4+, under security rules). */
  remove(options?: { multi?: boolean } & WxCallbacks<RemoveResult>): Promise<RemoveResult> {
    return this.call('collection.remove', options, async () => {
      const query = options?.multi === false ? this.inner.options({ multiple: false }) : this.inner;
      const result = checked((await query.remove()) as { deleted?: number });
      return { stats: { removed: result.deleted ?? 0 }, errMsg: 'collection.remove:ok' };
    });
  }

  protected call<T>(api: string, options: WxCallbacks<T> | undefined, run: () => Promise<T>): Promise<T> {
    this.scope.onCall(api, this.scope.collection);
    return wxCall(api, options, run);
  }
}

export class ClientCollection extends ClientQuery {
  constructor(
    private readonly collectionInner: InnerQuery,
    scope: Scope,
  ) {
    super(collectionInner, scope);
  }

  doc(id: string | number): ClientDocument {
    return new ClientDocument(
      withDeviceRequests(() => this.collectionInner.doc(id)),
      id,
      this.scope,
    );
  }

  add(options: { data: DocData } & WxCallbacks<AddResult>): Promise<AddResult> {
    return this.call('collection.add', options, async () => {
      const data = requireData('collection.add', options?.data);
      const result = checked(await this.collectionInner.add(data));
      return { _id: result.id as string, errMsg: 'collection.add:ok' };
    });
  }
}

export class ClientDocument {
  constructor(
    private readonly inner: InnerDocument,
    private readonly id: string | number,
    private readonly scope: Scope,
  ) {}

  field(projection: Record<string, unknown>): ClientDocument {
    return new ClientDocument(
      withDeviceRequests(() => this.inner.field(projection)),
      this.id,
      this.scope,
    );
  }

  get(options?: WxCallbacks<DocumentGetResult>): Promise<DocumentGetResult> {
    return this.call('document.get', options, async () => {
      const result = checked((await this.inner.get()) as { data: DocData[] });
      const [doc] = result.data;
      if (!doc) throw { errCode: -1, errMsg: `document.get:fail document with _id ${this.id} does not exist` };
      return { data: doc, errMsg: 'document.get:ok' };
    });
  }

  set(options: { data: DocData } & WxCallbacks<SetResult>): Promise<SetResult> {
    return this.call('document.set', options, async () => {
      const data = requireData('document.set', options?.data);
      const result = checked((await this.inner.set(data)) as { updated?: number; upsertedId?: string });
      return {
        _id: this.id,
        stats: { updated: result.updated ?? 0, created: result.upsertedId ? 1 : 0 },
        errMsg: 'document.set:ok',
      };
    });
  }

  update(options: { data: DocData } & WxCallbacks<UpdateResult>): Promise<UpdateResult> {
    return this.call('document.update', options, async () => {
      const data = requireData('document.update', options?.data);
      const result = checked((await this.inner.update(data)) as { updated?: number });
      return { stats: { updated: result.updated ?? 0 }, errMsg: 'document.update:ok' };
    });
  }

  remove(options?: WxCallbacks<RemoveResult>): Promise<RemoveResult> {
    return this.call('document.remove', options, async () => {
      const result = checked((await this.inner.remove()) as { deleted?: number });
      return { stats: { removed: result.deleted ?? 0 }, errMsg: 'document.remove:ok' };
    });
  }

  private call<T>(api: string, options: WxCallbacks<T> | undefined, run: () => Promise<T>): Promise<T> {
    this.scope.onCall(api, this.scope.collection);
    return wxCall(api, options, run);
  }
}

/** What `wx.cloud.database()` returns. */
export class ClientDatabase {
  /** `db.command` (`_.gt(1)`, `_.inc(1)`, `_.or([...])`...), `db.serverDate()`, `db.RegExp(...)`, `db.Geo.Point(...)`. */
  readonly command: Db['command'];
  readonly serverDate: (options?: { offset?: number }) => unknown;
  readonly RegExp: (options: { regexp: string; options?: string }) => unknown;
  readonly Geo: Record<string, (...args: unknown[]) => unknown>;
  private readonly db: Db;

  constructor(private readonly options: ClientDatabaseOptions & { env?: string }) {
    const Db = sdk();
    this.db = new Db({ env: options.env, [TRANSPORT]: options.transport });
    this.command = this.db.command;
    this.serverDate = this.db.serverDate as ClientDatabase['serverDate'];
    this.RegExp = this.db.RegExp as ClientDatabase['RegExp'];
    // The mini-program calls the Geo constructors without `new`: db.Geo.Point(113, 23).
    const geo = this.db.Geo as unknown as Record<string, new (...args: unknown[]) => unknown>;
    this.Geo = Object.fromEntries(
      Object.entries(geo)
        .filter(([, value]) => typeof value === 'function')
        .map(([name, Type]) => [name, (...args: unknown[]) => new Type(...args)]),
    );
  }

  collection(name: string): ClientCollection {
    return new ClientCollection(
      withDeviceRequests(() => this.db.collection(name)),
      { collection: name, onCall: this.options.onCall ?? (() => undefined) },
    );
  }
}
