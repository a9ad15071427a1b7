/**
 * The database emulator behind the REAL wx-server-sdk, for test files that drive it as a cloud function would:
 * every request to the harness is a database action answered by `database()` (replace it per test).
 */
import { randomUUID } from 'crypto';
import * as cloud from 'wx-server-sdk';
import { DevCloudError, DevDatabase } from '../../database';
import { actionReply, jsonReply, readJson, startCloudbaseHarness, type CloudbaseHarness } from './cloudbase-harness';

export type Db = ReturnType<typeof cloud.database>;
export type Collection = ReturnType<Db['collection']>;
export type Row = Record<string, unknown>;

export interface SdkDatabase {
  db: Db;
  /** The emulator answering now. */
  database(): DevDatabase;
  /** A fresh, empty emulator with these collections (closes the previous one). */
  reset(collections?: string[]): Promise<DevDatabase>;
  close(): Promise<void>;
}

/** wx-server-sdk types its calls as `Promise<T> | void | string`; they always return a promise. */
export async function sdk<T>(pending: unknown): Promise<T> {
  if (!(pending instanceof Promise)) throw new Error('wx-server-sdk did not return a promise');
  return (await pending) as T;
}

/** What a rejected SDK call carries: errCode, errMsg, and (for errors node-sdk raises itself) the service's code. */
export async function sdkError(pending: unknown): Promise<{ errCode?: number; errMsg?: string; code?: string }> {
  try {
    await sdk(pending);
  } catch (error) {
    return error as { errCode?: number; errMsg?: string; code?: string };
  }
  throw new Error('the SDK call succeeded');
}

export async function startSdkDatabase(env: string): Promise<SdkDatabase> {
  let current = new DevDatabase();
  const harness: CloudbaseHarness = await startCloudbaseHarness({
    env,
    route: async (req, res) => {
      const body = await readJson(req);
      const codeOf = (error: unknown): string => (error instanceof DevCloudError ? error.code : 'SYS_ERR');
      jsonReply(res, await actionReply(randomUUID(), () => current.handle(String(body.action), body), codeOf));
    },
    // No slow-call warnings on database actions.
    extraEnv: { SILENCE: 'true' },
  });
  harness.asFunction('database-test');
  return {
    db: cloud.database(),
    database: () => current,
    async reset(collections = []) {
      await current.close();
      current = new DevDatabase();
      await current.ensureCollections(collections);
      return current;
    },
    async close() {
      await current.close();
      await harness.close();
    },
  };
}
