/**
 * Faults in what the simulated phone asks of devcloud (target 'device'): wx.cloud.callFunction, uploadFile,
 * deleteFile, wx.login and wx.checkSession fail as the real wx APIs do (a rejected promise and fail callback with
 * `<api>:fail ...`), and each mode leaves applied what it says. Also CloudBase's default storage rule for phones:
 * one user cannot overwrite or delete another's file.
 */
import { randomBytes } from 'crypto';
import { createDevice, type Device } from '../phone/device';
import type { DevCloud } from '../hub';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';
import { writeProbeFunctions, type ProbeFunctions, type ProbeResult } from './support/probe-function';
import type { FaultMode, RecordedCall } from '../protocol';

let probes: ProbeFunctions;
let t: TestCloud;
let cloud: DevCloud;
beforeAll(async () => {
  probes = await writeProbeFunctions();
  t = await startTestCloud({ functionsDir: probes.functionsDir, collections: ['invoked'] });
  cloud = t.cloud!;
});
afterAll(async () => {
  await t?.stop();
  await probes?.remove();
});
afterEach(() => cloud.clearFaults());

const MODES: FaultMode[] = ['error', 'reset', 'lost'];

function newDevice(prefix = 'phone'): Device {
  return createDevice({ devcloudUrl: cloud.url, user: uniqueUser(prefix) });
}

/** What a wx API call settled to: its result, or the error it failed with. */
async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: WxFailure }> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: error as WxFailure }),
  );
}

interface WxFailure {
  errCode?: number;
  errMsg: string;
}

async function failureOf(promise: Promise<unknown>): Promise<WxFailure> {
  const outcome = await settle(promise);
  if (outcome.ok) throw new Error(`expected the wx call to fail, it gave ${JSON.stringify(outcome.value)}`);
  return outcome.error;
}

/** The phone's failure for each mode: the service's refusal, or a request that never got its answer. */
function expectFailure(error: WxFailure, api: string, mode: FaultMode): void {
  expect(error.errCode).toBe(-1);
  if (mode === 'error') expect(error.errMsg).toMatch(new RegExp(`^${api.replace('.', '\\.')}:fail -1 `));
  else expect(error.errMsg).toMatch(new RegExp(`^${api.replace('.', '\\.')}:fail request:fail socket hang up`));
}

function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

async function docExists(collection: string, id: string): Promise<boolean> {
  return (await t.control.documents(collection)).some((document) => document._id === id);
}

/** Uploads `bytes` from the device as wx.cloud.uploadFile does after chooseAvatar. */
function upload(device: Device, cloudPath: string, bytes: Buffer) {
  return device.wx.cloud.uploadFile({ cloudPath, filePath: device.chooseAvatarEvent(bytes).detail.avatarUrl });
}

describe('wx.cloud.callFunction', () => {
  test.each(MODES)('%s: the call fails; only lost runs the function', async (mode) => {
    const device = newDevice();
    const id = uniqueId(mode);
    cloud.injectFault({ target: 'device', mode, match: { action: 'cloud.callFunction', functionName: 'probe' } });
    const call = device.wx.cloud.callFunction({
      name: 'probe',
      data: { steps: [{ op: 'add', collection: 'invoked', data: { _id: id } }] },
    });
    expectFailure(await failureOf(call), 'cloud.callFunction', mode);
    expect(await docExists('invoked', id)).toBe(mode === 'lost');
  });

  test('the fail and complete callbacks get the error; an error fault gives the errCode it names', async () => {
    const device = newDevice();
    cloud.injectFault({ target: 'device', mode: 'error', code: -501000, match: { action: 'cloud.callFunction' } });
    const seen: unknown[] = [];
    const call = device.wx.cloud.callFunction({
      name: 'probe',
      data: { steps: [] },
      fail: (error) => seen.push(['fail', error]),
      complete: (result) => seen.push(['complete', result]),
    });
    const error = await failureOf(call);
    expect(error).toMatchObject({
      errCode: -501000,
      errMsg: expect.stringMatching(/^cloud\.callFunction:fail -501000/) as string,
    });
    expect(seen).toEqual([
      ['fail', error],
      ['complete', error],
    ]);
    // The next call goes through.
    const ok = await device.wx.cloud.callFunction({ name: 'probe', data: { steps: [{ op: 'sleep', ms: 0 }] } });
    expect((ok.result as ProbeResult[])[0]).toMatchObject({ ok: true, value: 0 });
  });

  test('match.openid fails one user only', async () => {
    const alice = newDevice('alice');
    const bob = newDevice('bob');
    cloud.injectFault({ target: 'device', mode: 'reset', match: { openid: cloud.user(bob.user).openid } });
    const steps = { steps: [] };
    const [forAlice, forBob] = await Promise.all([
      settle(alice.wx.cloud.callFunction({ name: 'probe', data: steps })),
      settle(bob.wx.cloud.callFunction({ name: 'probe', data: steps })),
    ]);
    expect(forAlice.ok).toBe(true);
    expect(forBob.ok).toBe(false);
  });
});

describe('wx.cloud.uploadFile and wx.cloud.deleteFile', () => {
  test.each(MODES)('uploadFile, %s: the upload fails; only lost stores the file', async (mode) => {
    const device = newDevice();
    const cloudPath = `avatars/${uniqueId(mode)}.jpg`;
    cloud.injectFault({ target: 'device', mode, match: { action: 'cloud.uploadFile' } });
    expectFailure(await failureOf(upload(device, cloudPath, Buffer.from('img'))), 'cloud.uploadFile', mode);
    const stored = (await cloud.storage.list()).find((fileID) => fileID.endsWith(cloudPath));
    expect(stored === undefined).toBe(mode !== 'lost');
    if (stored) expect((await cloud.storage.stat(stored))?.ownerOpenid).toBe(cloud.user(device.user).openid);
  });

  test.each(MODES)('deleteFile, %s: the call fails; only lost deletes', async (mode) => {
    const device = newDevice();
    const { fileID } = await upload(device, `avatars/${uniqueId(mode)}.jpg`, Buffer.from('img'));
    cloud.injectFault({ target: 'device', mode, match: { action: 'cloud.deleteFile' } });
    expectFailure(await failureOf(device.wx.cloud.deleteFile({ fileList: [fileID] })), 'cloud.deleteFile', mode);
    expect((await cloud.storage.stat(fileID)) === undefined).toBe(mode === 'lost');
  });
});

describe('wx.login and wx.checkSession', () => {
  test.each(MODES)('login, %s: no code reaches the phone; lost still started a new session', async (mode) => {
    const device = newDevice();
    const { openid } = cloud.user(device.user);
    await device.wx.login();
    const before = cloud.wechat.currentSessionKey(openid);
    cloud.injectFault({ target: 'device', mode, match: { action: 'login' } });
    expectFailure(await failureOf(device.wx.login()), 'login', mode);
    // WeChat issued the code (and rotated the session_key) before the answer was lost.
    expect(cloud.wechat.currentSessionKey(openid) !== before).toBe(mode === 'lost');
  });

  test('checkSession fails with an error fault even while the session is alive', async () => {
    const device = newDevice();
    await device.wx.login();
    cloud.injectFault({ target: 'device', mode: 'error', match: { action: 'checkSession' } });
    expectFailure(await failureOf(device.wx.checkSession()), 'checkSession', 'error');
    await expect(device.wx.checkSession()).resolves.toEqual({ errMsg: 'checkSession:ok' });
  });

  test("the phone's calls are recorded with its user", async () => {
    const device = newDevice();
    const { openid } = cloud.user(device.user);
    await t.control.clearRecordedCalls();
    cloud.injectFault({ target: 'device', mode: 'reset', match: { action: 'checkSession' } });
    await device.wx.login();
    await settle(device.wx.checkSession());
    await device.wx.cloud.callFunction({ name: 'probe', data: { steps: [] } });
    const calls = (await t.control.recordedCalls()).map((call): Partial<RecordedCall> => {
      const copy: Partial<RecordedCall> = { ...call };
      delete copy.seq;
      return copy;
    });
    expect(calls).toEqual([
      { target: 'device', action: 'login', openid, outcome: 'ok' },
      { target: 'device', action: 'checkSession', openid, outcome: 'faulted', fault: 'reset' },
      { target: 'device', action: 'cloud.callFunction', functionName: 'probe', openid, outcome: 'ok' },
    ]);
  });
});

describe("one user cannot overwrite or delete another's file (CloudBase's default storage rule)", () => {
  test("B's upload to A's cloudPath is refused; the file and its owner stay A's", async () => {
    const alice = newDevice('alice');
    const bob = newDevice('bob');
    const cloudPath = `avatars/${uniqueId('shared')}.jpg`;
    const { fileID } = await upload(alice, cloudPath, Buffer.from('alice'));
    const refused = await failureOf(upload(bob, cloudPath, Buffer.from('bob')));
    expect(refused).toMatchObject({
      errCode: -503002,
      errMsg: expect.stringMatching(/^cloud\.uploadFile:fail -503002 storage permission denied/) as string,
    });
    expect((await cloud.storage.read(fileID))?.toString()).toBe('alice');
    expect((await cloud.storage.stat(fileID))?.ownerOpenid).toBe(cloud.user(alice.user).openid);
    // The owner may replace their own file.
    await upload(alice, cloudPath, Buffer.from('alice, again'));
    expect((await cloud.storage.read(fileID))?.toString()).toBe('alice, again');
  });

  test('a file a function wrote cannot be overwritten from a phone', async () => {
    const cloudPath = `config/${uniqueId('server')}.json`;
    const fileID = await cloud.storage.putFile(cloudPath, Buffer.from('{}'));
    expect((await failureOf(upload(newDevice(), cloudPath, Buffer.from('x')))).errCode).toBe(-503002);
    expect((await cloud.storage.read(fileID))?.toString()).toBe('{}');
  });

  test('two users racing for a new path: one wins, and the file is the winner’s', async () => {
    const phones = [newDevice('a'), newDevice('b'), newDevice('c'), newDevice('d')];
    const cloudPath = `avatars/${uniqueId('race')}.jpg`;
    const outcomes = await Promise.all(
      phones.map((phone) => settle(upload(phone, cloudPath, Buffer.from(phone.user)))),
    );
    const winners = phones.filter((_, i) => outcomes[i]!.ok);
    expect(winners).toHaveLength(1);
    const fileID = (outcomes.find((outcome) => outcome.ok) as { value: { fileID: string } }).value.fileID;
    expect((await cloud.storage.read(fileID))?.toString()).toBe(winners[0]!.user);
    expect((await cloud.storage.stat(fileID))?.ownerOpenid).toBe(cloud.user(winners[0]!.user).openid);
  });

  test("B's deleteFile of A's file is refused per file (-503002); A's own delete works", async () => {
    const alice = newDevice('alice');
    const bob = newDevice('bob');
    const { fileID } = await upload(alice, `avatars/${uniqueId('keep')}.jpg`, Buffer.from('alice'));
    const byBob = await bob.wx.cloud.deleteFile({ fileList: [fileID] });
    expect(byBob.fileList).toEqual([{ fileID, status: -503002, errMsg: 'storage permission denied' }]);
    expect(await cloud.storage.stat(fileID)).toBeDefined();
    const byAlice = await alice.wx.cloud.deleteFile({ fileList: [fileID] });
    expect(byAlice.fileList).toEqual([{ fileID, status: 0, errMsg: 'ok' }]);
    expect(await cloud.storage.stat(fileID)).toBeUndefined();
    const again = await alice.wx.cloud.deleteFile({ fileList: [fileID] });
    expect(again.fileList[0]?.status).toBe(-503003);
  });
});
