/**
 * @cloudbase/node-sdk OUTSIDE a cloud function (a developer's own server, a script), pointed at devcloud's
 * `POST /admin` with `serviceUrl` or `TCB_CONTEXT_CNFG`, as README's "From a server outside the functions" says:
 * the real SDK (the copy wx-server-sdk 4.0.2 carries) reads and writes the functions' database, stores files and
 * invokes functions, with no function and no user; its calls are recorded and faultable like a function's.
 */
import { createRequire } from 'module';
import type * as NodeSdk from '@cloudbase/node-sdk';
import * as wxCloud from 'wx-server-sdk';
import { DEFAULT_ENV } from '../wechat';
import { startTestCloud, type TestCloud } from './support/cloud';
import { probeResults, writeProbeFunctions, type ProbeFunctions, type ProbeStep } from './support/probe-function';

/** node-sdk as wx-server-sdk resolves it: the version inside wx-server-sdk 4.0.2. */
const tcb = createRequire(createRequire(__filename).resolve('wx-server-sdk'))('@cloudbase/node-sdk') as typeof NodeSdk;

const COLLECTION = `outside_${process.pid}`;
/** devcloud checks no signature: any key pair works, as any works inside its functions. */
const CREDENTIALS = { secretId: 'AKIDdevcloud', secretKey: 'any-secret-key' };

let probes: ProbeFunctions;
let t: TestCloud;
let app: ReturnType<typeof tcb.init>;
beforeAll(async () => {
  probes = await writeProbeFunctions(['probe']);
  t = await startTestCloud({ functionsDir: probes.functionsDir, collections: [COLLECTION] });
  app = tcb.init({ env: DEFAULT_ENV, ...CREDENTIALS, serviceUrl: `${t.control.url}/admin`, timeout: 10_000 });
});
afterAll(async () => {
  await t?.stop();
  await probes?.remove();
});
afterEach(() => t.control.clearFaults());

const probe = async (steps: ProbeStep[]) => probeResults(await t.control.invoke('probe', { steps }));

/** What a rejected node-sdk call carries. */
async function failure(pending: Promise<unknown>): Promise<{ code?: unknown; message?: unknown }> {
  try {
    await pending;
  } catch (error) {
    return error as { code?: unknown; message?: unknown };
  }
  throw new Error('the call succeeded');
}

test('a server reads what a function wrote, and the function reads what the server changed', async () => {
  const tag = `t-${Date.now()}`;
  const [added] = await probe([{ op: 'add', collection: COLLECTION, data: { tag, n: 1 } }]);
  expect(added).toMatchObject({ ok: true });
  const id = (added as { value: string }).value;

  const db = app.database();
  const read = await db.collection(COLLECTION).where({ tag }).get();
  expect(read.data).toEqual([{ _id: id, tag, n: 1 }]);
  const counted = (await db.collection(COLLECTION).where({ tag }).count()) as { total: number };
  expect(counted.total).toBe(1);

  const increment: unknown = db.command.inc(1);
  const updated = (await db.collection(COLLECTION).doc(id).update({ n: increment, by: 'server' })) as {
    updated: number;
  };
  expect(updated.updated).toBe(1);
  const { id: serverId } = (await db.collection(COLLECTION).add({ tag, n: 10 })) as { id: string };

  const [got, gotServer] = await probe([
    { op: 'get', collection: COLLECTION, id },
    { op: 'get', collection: COLLECTION, id: serverId },
  ]);
  expect(got).toMatchObject({ ok: true, value: { _id: id, tag, n: 2, by: 'server' } });
  // No _openid: a server's document belongs to no user, as one a function adds.
  expect(gotServer).toMatchObject({ ok: true, value: { _id: serverId, tag, n: 10 } });
  expect((gotServer as { value: object }).value).not.toHaveProperty('_openid');
});

test('its calls are in the call record with no function and no user, and a database fault acts on them', async () => {
  await t.control.clearRecordedCalls();
  await app.database().collection(COLLECTION).limit(1).get();
  const calls = await t.control.recordedCalls();
  expect(calls).toEqual([
    expect.objectContaining({ target: 'database', action: 'database.getDocument', collection: COLLECTION }),
  ]);
  expect(calls[0]).not.toHaveProperty('functionName');
  expect(calls[0]).not.toHaveProperty('openid');

  await t.control.injectFault({ target: 'database', mode: 'error', code: 'DATABASE_REQUEST_FAILED', times: 1 });
  const refused = await failure(app.database().collection(COLLECTION).limit(1).get());
  expect(refused.code).toBe('DATABASE_REQUEST_FAILED');
  // Used up: the next read works.
  await expect(app.database().collection(COLLECTION).limit(1).get()).resolves.toHaveProperty('data');
});

/** Runs `body` with these environment variables set, then puts the environment back. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    await body();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test('no code change: TCB_CONTEXT_CNFG and the TENCENTCLOUD_SECRET* variables point node-sdk at devcloud', async () => {
  const env = {
    TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${t.control.url}/admin` }),
    TENCENTCLOUD_SECRETID: CREDENTIALS.secretId,
    TENCENTCLOUD_SECRETKEY: CREDENTIALS.secretKey,
  };
  await withEnv(env, async () => {
    const viaEnv = tcb.init({ env: DEFAULT_ENV, timeout: 10_000 });
    const tag = `env-${Date.now()}`;
    await viaEnv.database().collection(COLLECTION).add({ tag });
    expect((await t.control.findDocuments(COLLECTION, { search: tag })).total).toBe(1);
  });
});

test('storage: a server uploads a file, a function downloads it; the file has no owner', async () => {
  const cloudPath = `outside/${process.pid}-${Date.now()}.txt`;
  const { fileID } = await app.uploadFile({ cloudPath, fileContent: Buffer.from('from the server') });
  expect(fileID).toMatch(new RegExp(`^cloud://${DEFAULT_ENV}\\..+/${cloudPath}$`));
  const [downloaded] = await probe([{ op: 'download', fileID }]);
  expect(downloaded).toMatchObject({ ok: true, value: 'from the server' });
  const stored = (await t.control.storedFiles()).find((file) => file.fileID === fileID);
  expect(stored).toMatchObject({ cloudPath, size: 15 });
  expect(stored).not.toHaveProperty('ownerOpenid');
  const { fileList } = await app.getTempFileURL({ fileList: [fileID] });
  expect(fileList).toEqual([expect.objectContaining({ fileID, code: 'SUCCESS' })]);
});

test('callFunction from a server runs the function with no WeChat user', async () => {
  const { result } = await app.callFunction({ name: 'probe', data: { steps: [] } });
  expect(result).toEqual([]);
  const { invocations } = await t.control.invocations();
  const last = invocations.at(-1)!;
  expect(last.functionName).toBe('probe');
  expect(last.caller).not.toHaveProperty('openid');
});

test('a cloud call from outside any function is refused: no config.json grants it a permission', async () => {
  await withEnv({ TCB_CONTEXT_CNFG: JSON.stringify({ URL: `${t.control.url}/admin` }) }, async () => {
    // wx-server-sdk builds the cloud call's protobuf; outside a function it is a server's node-sdk like any other.
    wxCloud.init({ env: DEFAULT_ENV, ...CREDENTIALS });
    const openapi = wxCloud.openapi as unknown as { security: { msgSecCheck(data: object): Promise<unknown> } };
    const refused = await failure(openapi.security.msgSecCheck({ content: 'hello' }));
    expect(refused).toMatchObject({ errCode: -604101 });
  });
  // Refused by the gateway before WeChat is asked: in the call record, not among the calls WeChat answered.
  expect((await t.control.openApiCalls()).filter((call) => call.api === 'security.msgSecCheck')).toEqual([]);
  expect((await t.control.recordedCalls()).filter((call) => call.target === 'cloudCall')).toEqual([
    expect.objectContaining({ action: 'security.msgSecCheck', outcome: 'error' }),
  ]);
});
