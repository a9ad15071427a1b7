/**
 * devcloud's fault model (devcloud/faults.ts) as a cloud function sees it: each target and each mode against the
 * REAL wx-server-sdk (through the `probe` fixture function), what each mode leaves applied, how skip/times/match
 * select calls, and the record of the calls an invocation makes. Also: phone codes bound to their user.
 */
import { randomBytes } from 'crypto';
import { controlRequest } from '../phone/http';
import { FaultInjector } from '../faults';
import type { DevCloud } from '../hub';
import { startTestCloud, uniqueUser, type TestCloud } from './support/cloud';
import {
  probeResults,
  writeProbeFunctions,
  type ProbeFunctions,
  type ProbeResult,
  type ProbeStep,
} from './support/probe-function';
import type { FaultMode, FaultSpec, RecordedCall } from '../protocol';

let probes: ProbeFunctions;
let t: TestCloud;
let cloud: DevCloud;
beforeAll(async () => {
  probes = await writeProbeFunctions(['probe', 'probe2']);
  // The collections the probes write to exist, as if created in the console.
  t = await startTestCloud({
    functionsDir: probes.functionsDir,
    collections: ['things', 'picked', 'a', 'b', 'left', 'recorded', 'held'],
  });
  cloud = t.cloud!;
});
afterAll(async () => {
  await t?.stop();
  await probes?.remove();
});
afterEach(() => cloud.clearFaults());

/** Runs the probe's steps as `user` (invoked through the control API, as a phone does). */
async function probe(user: string, steps: ProbeStep[], functionName = 'probe'): Promise<ProbeResult[]> {
  return probeResults(await t.control.invoke(functionName, { steps }, user));
}

async function probeOne(user: string, step: ProbeStep, functionName = 'probe'): Promise<ProbeResult> {
  const [result] = await probe(user, [step], functionName);
  return result!;
}

function failure(result: ProbeResult): Exclude<ProbeResult, { ok: true }> {
  if (result.ok) throw new Error(`expected the step to fail, it gave ${JSON.stringify(result.value)}`);
  return result;
}

function value(result: ProbeResult): unknown {
  if (!result.ok) throw new Error(`expected the step to succeed, it failed: ${result.errMsg ?? result.message}`);
  return result.value;
}

function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

async function doc(collection: string, id: string): Promise<Record<string, unknown> | undefined> {
  return (await t.control.documents(collection)).find((document) => document._id === id);
}

/**
 * A reset and a lost reply look the same to the SDK: the call rejects, the socket hung up. A call that was not hung
 * up would end by the SDK's own timeout instead, which says so ('request timeout', ESOCKETTIMEDOUT): the error tells
 * the two apart, not how long it took.
 */
const HUNG_UP = /socket hang up|ECONNRESET/;

function expectHungUp(result: ProbeResult, errCode: number): void {
  const failed = failure(result);
  expect(failed.errCode).toBe(errCode);
  expect(failed.errMsg ?? failed.message).toMatch(HUNG_UP);
}

const MODES: FaultMode[] = ['error', 'reset', 'lost'];

describe('database', () => {
  test.each(MODES)('insertDocument, %s: error and reset insert nothing, lost inserts', async (mode) => {
    const user = uniqueUser();
    const id = uniqueId(mode);
    cloud.injectFault({ target: 'database', mode, match: { action: 'database.insertDocument' } });
    const add = await probeOne(user, { op: 'add', collection: 'things', data: { _id: id, n: 1 } });
    if (mode === 'error') {
      expect(failure(add)).toMatchObject({ errCode: -502001 });
      expect(failure(add).errMsg).toMatch(/^collection\.add:fail -502001 database request fail\. devcloud: injected/);
    } else expectHungUp(add, -501001);
    expect((await doc('things', id))?.n).toBe(mode === 'lost' ? 1 : undefined);
    expect(cloud.pendingFaults()).toEqual([]);
  });

  test.each(MODES)('modifyDocument, %s: only lost changes the document', async (mode) => {
    const user = uniqueUser();
    const id = uniqueId(mode);
    value(await probeOne(user, { op: 'add', collection: 'things', data: { _id: id, n: 1 } }));
    cloud.injectFault({ target: 'database', mode, match: { action: 'database.modifyDocument', collection: 'things' } });
    const update = await probeOne(user, { op: 'update', collection: 'things', id, data: { n: 2 } });
    if (mode === 'error') expect(failure(update).errCode).toBe(-502001);
    else expectHungUp(update, -501001);
    expect((await doc('things', id))?.n).toBe(mode === 'lost' ? 2 : 1);
  });

  test.each(MODES)('modifyAndReturnDoc (updateAndReturn), %s', async (mode) => {
    const user = uniqueUser();
    const id = uniqueId(mode);
    value(await probeOne(user, { op: 'add', collection: 'things', data: { _id: id, n: 1 } }));
    cloud.injectFault({ target: 'database', mode, match: { action: 'database.modifyAndReturnDoc' } });
    const result = failure(await probeOne(user, { op: 'updateAndReturn', collection: 'things', id, data: { n: 5 } }));
    // Like runTransaction, updateAndReturn rejects with the service's raw {code, message} or the socket error,
    // with no errCode.
    expect(result.errCode).toBeUndefined();
    expect(result).toMatchObject(mode === 'error' ? { code: 'DATABASE_REQUEST_FAILED' } : { code: 'ECONNRESET' });
    expect((await doc('things', id))?.n).toBe(mode === 'lost' ? 5 : 1);
  });

  test.each(MODES)('commitTransaction, %s: runTransaction rejects; only lost commits', async (mode) => {
    const user = uniqueUser();
    const id = uniqueId(mode);
    cloud.injectFault({ target: 'database', mode, match: { action: 'database.commitTransaction' } });
    const result = failure(await probeOne(user, { op: 'transaction', collection: 'things', id, data: { n: 7 } }));
    // runTransaction rejects with the raw reply or socket error, without errCode.
    if (mode === 'error') expect(result).toMatchObject({ code: 'DATABASE_REQUEST_FAILED' });
    else expect(result).toMatchObject({ code: 'ECONNRESET' });
    expect((await doc('things', id))?.n).toBe(mode === 'lost' ? 7 : undefined);
  });

  test('a code given to an error fault is the code the service answers', async () => {
    cloud.injectFault({ target: 'database', mode: 'error', code: 'DATABASE_PERMISSION_DENIED' });
    const result = failure(await probeOne(uniqueUser(), { op: 'count', collection: 'things' }));
    expect(result.errCode).toBe(-502003);
    expect(result.errMsg).toMatch(/^collection\.count:fail -502003 database permission denied\./);
  });
});

describe('storage', () => {
  test.each(MODES)('the upload PUT (storage.put), %s: only lost stores the file', async (mode) => {
    const cloudPath = `probe/${uniqueId(mode)}.txt`;
    cloud.injectFault({ target: 'storage', mode, match: { action: 'storage.put' } });
    const upload = failure(await probeOne(uniqueUser(), { op: 'upload', cloudPath, text: 'hello' }));
    expect(upload.errCode).toBe(-1);
    if (mode === 'error') {
      expect(upload).toMatchObject({ code: 'STORAGE_REQUEST_FAIL' });
      expect(upload.errMsg).toMatch(/^uploadFile:fail \[InternalError\]/);
    } else expectHungUp(upload, -1);
    const stored = (await cloud.storage.list()).find((fileID) => fileID.endsWith(cloudPath));
    expect(stored === undefined).toBe(mode !== 'lost');
  });

  test.each<FaultMode>(['error', 'reset'])('storage.getUploadMetadata, %s: nothing is uploaded', async (mode) => {
    const cloudPath = `probe/${uniqueId(mode)}.txt`;
    cloud.injectFault({ target: 'storage', mode, match: { action: 'storage.getUploadMetadata' } });
    const upload = failure(await probeOne(uniqueUser(), { op: 'upload', cloudPath, text: 'hello' }));
    if (mode === 'error') expect(upload).toMatchObject({ errCode: -1, code: 'STORAGE_REQUEST_FAIL' });
    else expectHungUp(upload, -1);
    expect((await cloud.storage.list()).some((fileID) => fileID.endsWith(cloudPath))).toBe(false);
  });

  test.each(MODES)('storage.batchDeleteFile, %s: only lost deletes the file', async (mode) => {
    const fileID = await cloud.storage.putFile(`probe/${uniqueId(mode)}.txt`, Buffer.from('x'));
    cloud.injectFault({ target: 'storage', mode, match: { action: 'storage.batchDeleteFile' } });
    const removal = failure(await probeOne(uniqueUser(), { op: 'delete', fileID }));
    if (mode === 'error') expect(removal).toMatchObject({ errCode: -1, code: 'STORAGE_REQUEST_FAIL' });
    else expectHungUp(removal, -1);
    expect((await cloud.storage.stat(fileID)) === undefined).toBe(mode === 'lost');
  });

  test.each<[string, FaultMode]>([
    ['storage.batchGetDownloadUrl', 'error'],
    ['storage.batchGetDownloadUrl', 'reset'],
    ['storage.get', 'error'],
    ['storage.get', 'reset'],
  ])('downloadFile fails when %s gets %s; the file stays', async (action, mode) => {
    const fileID = await cloud.storage.putFile(`probe/${uniqueId(mode)}.txt`, Buffer.from('kept'));
    cloud.injectFault({ target: 'storage', mode, match: { action } });
    const download = failure(await probeOne(uniqueUser(), { op: 'download', fileID }));
    if (mode === 'error') expect(download.code).toBe('STORAGE_REQUEST_FAIL');
    else expect(download.errMsg ?? download.message).toMatch(HUNG_UP);
    expect(value(await probeOne(uniqueUser(), { op: 'download', fileID }))).toBe('kept');
  });
});

describe('wechat', () => {
  test.each(MODES)('jscode2session, %s: only lost spends the code', async (mode) => {
    const user = uniqueUser();
    const code = await t.control.loginCode(user);
    cloud.injectFault({ target: 'wechat', mode, match: { action: 'jscode2session' } });
    const [faulted, again] = await probe(user, [
      { op: 'jscode2session', code },
      { op: 'jscode2session', code },
    ]);
    if (mode === 'error') expect(value(faulted!)).toEqual({ errcode: -1, errmsg: 'system error' });
    else {
      // cloudbase/http.ts sees the same: Node's http rejects with ECONNRESET "socket hang up".
      expect(failure(faulted!)).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
    }
    if (mode === 'lost') expect(value(again!)).toMatchObject({ errcode: 40163 });
    else expect(value(again!)).toMatchObject({ openid: cloud.user(user).openid });
  });

  test('an error fault answers the errcode it names', async () => {
    const user = uniqueUser();
    const code = await t.control.loginCode(user);
    cloud.injectFault({ target: 'wechat', mode: 'error', code: 45011, match: { action: 'jscode2session' } });
    expect(value(await probeOne(user, { op: 'jscode2session', code }))).toMatchObject({ errcode: 45011 });
  });
});

describe('cloud calls', () => {
  test.each(MODES)('phonenumber.getPhoneNumber, %s: only lost spends the code', async (mode) => {
    const user = uniqueUser();
    const { code } = cloud.phoneNumberDetail(user);
    cloud.injectFault({ target: 'cloudCall', mode, match: { action: 'phonenumber.getPhoneNumber' } });
    const [faulted, again] = await probe(user, [
      { op: 'phone', code },
      { op: 'phone', code },
    ]);
    if (mode === 'error') {
      expect(failure(faulted!)).toMatchObject({ errCode: -1 });
      expect(failure(faulted!).errMsg).toMatch(/^openapi\.phonenumber\.getPhoneNumber:fail/);
    } else expectHungUp(faulted!, -501001);
    if (mode === 'lost') expect(failure(again!).errCode).toBe(40029);
    else expect(value(again!)).toBe('13800001234');
  });

  test('an error fault answers the errcode it names (a billed API out of quota)', async () => {
    const user = uniqueUser();
    const { code } = cloud.phoneNumberDetail(user);
    cloud.injectFault({ target: 'cloudCall', mode: 'error', code: 1400001 });
    expect(failure(await probeOne(user, { op: 'phone', code })).errCode).toBe(1400001);
  });

  test('security.msgSecCheck and getOpenData fail with the errcode of an error fault', async () => {
    const user = uniqueUser();
    await t.control.loginCode(user); // a session, so the legacy phone data (and its cloudID) can be issued
    const { cloudID } = cloud.phoneNumberDetail(user);
    cloud.injectFault({ target: 'cloudCall', mode: 'error', code: 87014, match: { action: 'security.msgSecCheck' } });
    cloud.injectFault({ target: 'cloudCall', mode: 'error', code: -601007, match: { action: 'getOpenData' } });
    const [check, openData, openDataAgain] = await probe(user, [
      { op: 'msgSecCheck', content: '你好' },
      { op: 'openData', cloudID: cloudID! },
      { op: 'openData', cloudID: cloudID! },
    ]);
    expect(failure(check!).errCode).toBe(87014);
    expect(failure(openData!).errCode).toBe(-601007);
    expect(value(openDataAgain!)).toMatchObject({ purePhoneNumber: '13800001234' });
  });

  test.each<FaultMode>(['reset', 'lost'])('getOpenData, %s: the SDK rejects at once', async (mode) => {
    const user = uniqueUser();
    await t.control.loginCode(user);
    const { cloudID } = cloud.phoneNumberDetail(user);
    cloud.injectFault({ target: 'cloudCall', mode, match: { action: 'getOpenData' } });
    expectHungUp(await probeOne(user, { op: 'openData', cloudID: cloudID! }), -501001);
  });
});

describe('a phone code is bound to its user', () => {
  test("user B cannot redeem user A's code when the function passes B's openid; A still can", async () => {
    const alice = uniqueUser('alice');
    const bob = uniqueUser('bob');
    cloud.user(alice, { phoneNumber: '13911112222' });
    const { code } = cloud.phoneNumberDetail(alice);
    const refused = failure(await probeOne(bob, { op: 'phone', code, openid: cloud.user(bob).openid }));
    expect(refused.errCode).toBe(40029);
    expect(refused.errMsg).toMatch(/openid does not match/);
    // The refusal did not spend the code: its own user redeems it, once.
    const [mine, again] = await probe(alice, [
      { op: 'phone', code, openid: cloud.user(alice).openid },
      { op: 'phone', code, openid: cloud.user(alice).openid },
    ]);
    expect(value(mine!)).toBe('13911112222');
    expect(failure(again!).errCode).toBe(40029);
  });

  test('without openid the code is not checked against a user (the old behaviour)', async () => {
    const alice = uniqueUser('alice');
    const { code } = cloud.phoneNumberDetail(alice);
    expect(value(await probeOne(uniqueUser('bob'), { op: 'phone', code }))).toBe('13800001234');
  });
});

describe('which calls a fault selects', () => {
  const add = (id: string, collection = 'picked'): ProbeStep => ({ op: 'add', collection, data: { _id: id } });

  test('skip lets matching calls through first, times fails that many, then calls pass again', async () => {
    const ids = Array.from({ length: 5 }, () => uniqueId('skip'));
    cloud.injectFault({
      target: 'database',
      mode: 'error',
      match: { action: 'database.insertDocument' },
      skip: 1,
      times: 2,
    });
    const results = await probe(
      uniqueUser(),
      ids.map((id) => add(id)),
    );
    expect(results.map((result) => result.ok)).toEqual([true, false, false, true, true]);
  });

  test('only calls matching every field count: a fault for collection b skips the inserts into a', async () => {
    const ids = Array.from({ length: 4 }, () => uniqueId('match'));
    cloud.injectFault({ target: 'database', mode: 'reset', match: { collection: 'b' }, skip: 1 });
    const results = await probe(uniqueUser(), [
      add(ids[0]!, 'a'),
      add(ids[1]!, 'b'),
      add(ids[2]!, 'a'),
      add(ids[3]!, 'b'),
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, true, true, false]);
    expect(await doc('b', ids[3]!)).toBeUndefined();
  });

  test('match.functionName and match.openid pick one function and one user among concurrent callers', async () => {
    const alice = uniqueUser('alice');
    const bob = uniqueUser('bob');
    cloud.injectFault({
      target: 'database',
      mode: 'error',
      match: { functionName: 'probe2', openid: cloud.user(bob).openid },
    });
    const runs = await Promise.all(
      [alice, bob].flatMap((user) => ['probe', 'probe2'].map((fn) => probe(user, [add(uniqueId(fn))], fn))),
    );
    // alice/probe, alice/probe2, bob/probe, bob/probe2
    expect(runs.map(([result]) => result!.ok)).toEqual([true, true, true, false]);
  });

  test('pendingFaults shows what is left of a fault until it has acted', async () => {
    const spec: FaultSpec = { target: 'database', mode: 'error', match: { collection: 'left' }, skip: 1, times: 2 };
    cloud.injectFault(spec);
    expect(await t.control.pendingFaults()).toEqual([{ ...spec, skip: 1, times: 2 }]);
    await probe(uniqueUser(), [add(uniqueId('l'), 'left'), add(uniqueId('l'), 'left')]);
    expect(await t.control.pendingFaults()).toEqual([{ ...spec, skip: 0, times: 1 }]);
    await probe(uniqueUser(), [add(uniqueId('l'), 'left')]);
    expect(await t.control.pendingFaults()).toEqual([]);
  });

  test('the original fault shapes still work, on the same queue', async () => {
    await t.control.injectDatabaseFault({ skip: 1 });
    await t.control.injectCloudCallFault({ api: 'security.msgSecCheck', errcode: 40003 });
    const [first, second, check] = await probe(uniqueUser(), [
      add(uniqueId('old')),
      add(uniqueId('old')),
      { op: 'msgSecCheck', content: '你好' },
    ]);
    expect(first!.ok).toBe(true);
    expect(failure(second!).errCode).toBe(-502001);
    expect(failure(check!).errCode).toBe(40003);
  });
});

describe('hold: a call waits until it is released', () => {
  const add = (id: string): ProbeStep => ({ op: 'add', collection: 'held', data: { _id: id } });

  /** Waits for an event, not for a duration: until `count` calls are held (the bound only ends a broken run). */
  async function held(count: number): Promise<Awaited<ReturnType<typeof t.control.heldCalls>>> {
    for (let polls = 0; polls < 3000; polls += 1) {
      const calls = await t.control.heldCalls();
      if (calls.length >= count) return calls;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${count} calls were ever held`);
  }

  test('a held call is not applied until released, while other calls go through; then it is, and recorded', async () => {
    const [alice, bob] = [uniqueUser('alice'), uniqueUser('bob')];
    const [first, second] = [uniqueId('held'), uniqueId('held')];
    cloud.injectFault({
      target: 'database',
      mode: 'hold',
      match: { action: 'database.insertDocument', collection: 'held' },
    });
    const holding = probe(alice, [add(first)]);
    const [call] = await held(1);
    expect(call).toMatchObject({
      target: 'database',
      action: 'database.insertDocument',
      collection: 'held',
      functionName: 'probe',
      openid: cloud.user(alice).openid,
    });
    // The fault held one call (times 1): the next insert goes through at once, the held one is still not there.
    expect((await probe(bob, [add(second)]))[0]!.ok).toBe(true);
    expect(await doc('held', second)).toBeDefined();
    expect(await doc('held', first)).toBeUndefined();
    expect(await t.control.releaseHeld(call!.seq)).toBe(1);
    expect((await holding)[0]!.ok).toBe(true);
    expect(await doc('held', first)).toBeDefined();
    expect(await t.control.heldCalls()).toEqual([]);
    const recorded = (await t.control.recordedCalls()).find((c) => c.seq === call!.seq);
    expect(recorded).toMatchObject({ outcome: 'ok', fault: 'hold' });
  });

  test('releasing by seq lets one call go; clearing the faults releases the rest', async () => {
    const ids = [uniqueId('held'), uniqueId('held')];
    cloud.injectFault({ target: 'database', mode: 'hold', match: { collection: 'held' }, times: 2 });
    const runs = ids.map((id) => probe(uniqueUser(), [add(id)]));
    const calls = await held(2);
    expect(await t.control.releaseHeld(calls[1]!.seq)).toBe(1);
    expect(await t.control.heldCalls()).toEqual([calls[0]]);
    await t.control.clearFaults();
    expect(await t.control.heldCalls()).toEqual([]);
    for (const run of runs) expect((await run)[0]!.ok).toBe(true);
    for (const id of ids) expect(await doc('held', id)).toBeDefined();
  });
});

describe('the control API refuses a wrong fault and injects nothing', () => {
  test.each<[string, unknown]>([
    ['an unknown mode', { target: 'database', mode: 'explode' }],
    ['an unknown target', { target: 'disk', mode: 'error' }],
    ['a misspelt action', { target: 'database', mode: 'error', match: { action: 'database.get' } }],
    ['a code on a reset', { target: 'database', mode: 'reset', code: 'X' }],
    ['a numeric code for the database', { target: 'database', mode: 'error', code: -1 }],
    ['a negative skip', { target: 'wechat', mode: 'error', skip: -1 }],
    ['an unknown field', { target: 'wechat', mode: 'error', typo: 1 }],
    ['a delay without delayMs', { target: 'wechat', mode: 'delay' }],
  ])('%s', async (_, fault) => {
    await expect(t.control.injectFault(fault as FaultSpec)).rejects.toThrow(/400 .*INVALID_FAULT/);
    expect(await t.control.pendingFaults()).toEqual([]);
  });

  test('a request with a good fault and a bad original-shape one injects neither', async () => {
    const request = controlRequest(t.control.url, 'POST', '/faults', {
      fault: { target: 'database', mode: 'error' },
      wechat: { api: 'jscode2sesion', errcode: -1 },
    });
    await expect(request).rejects.toThrow(/400 .*jscode2sesion/);
    expect(await t.control.pendingFaults()).toEqual([]);
  });
});

describe('call recording', () => {
  /** The fields a test can predict (seq only orders). */
  const shape = (call: RecordedCall): Partial<RecordedCall> => {
    const copy: Partial<RecordedCall> = { ...call };
    delete copy.seq;
    return copy;
  };

  test('lists the calls of an invocation in order, with function, user, collection and outcome', async () => {
    const user = uniqueUser();
    const { openid } = cloud.user(user);
    const id = uniqueId('rec');
    const loginCode = await t.control.loginCode(user);
    const { code } = cloud.phoneNumberDetail(user);
    cloud.injectFault({ target: 'database', mode: 'lost', match: { action: 'database.removeDocument' } });
    await t.control.clearRecordedCalls();
    const results = await probe(user, [
      { op: 'add', collection: 'recorded', data: { _id: id } },
      { op: 'add', collection: 'recorded', data: { _id: id } }, // duplicate _id: the service's own error
      { op: 'upload', cloudPath: `probe/${id}.txt`, text: 'x' },
      { op: 'phone', code },
      { op: 'jscode2session', code: loginCode },
      { op: 'remove', collection: 'recorded', id },
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, false, true, true, true, false]);
    const calls = await t.control.recordedCalls();
    const fn = { functionName: 'probe', openid };
    expect(calls.map(shape)).toEqual([
      { target: 'device', action: 'cloud.callFunction', ...fn, outcome: 'ok' },
      { target: 'database', action: 'database.insertDocument', collection: 'recorded', ...fn, outcome: 'ok' },
      { target: 'database', action: 'database.insertDocument', collection: 'recorded', ...fn, outcome: 'error' },
      { target: 'storage', action: 'storage.getUploadMetadata', ...fn, outcome: 'ok' },
      { target: 'storage', action: 'storage.put', ...fn, outcome: 'ok' },
      { target: 'cloudCall', action: 'phonenumber.getPhoneNumber', ...fn, outcome: 'ok' },
      // The WeChat API has one URL for all instances: the user is the one the code was issued to.
      { target: 'wechat', action: 'jscode2session', openid, outcome: 'ok' },
      {
        target: 'database',
        action: 'database.removeDocument',
        collection: 'recorded',
        ...fn,
        outcome: 'faulted',
        fault: 'lost',
      },
    ]);
    const seqs = calls.map((call) => call.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    await t.control.clearRecordedCalls();
    expect(await t.control.recordedCalls()).toEqual([]);
  });

  test('keeps only the newest calls (bounded)', async () => {
    const injector = new FaultInjector({ capacity: 50 });
    for (let i = 0; i < 200; i += 1)
      await injector.run(
        { target: 'database', action: 'database.getDocument' },
        {
          apply: async () => i,
          refuse: () => -1,
        },
      );
    const calls = injector.recordedCalls();
    expect(calls).toHaveLength(50);
    expect(calls[0]!.seq).toBe(151);
    expect(calls.at(-1)!.seq).toBe(200);
  });
});
