/**
 * The simulated phone's side of the control API (phone/device.ts asks these): what wx.login, wx.checkSession,
 * wx.cloud.callFunction, wx.cloud.uploadFile, wx.cloud.deleteFile, wx.cloud.database() and
 * wx.requestSubscribeMessage ask of the cloud. Each runs through the fault model as target 'device' and is
 * recorded with the phone's user. A refusal is answered as `{error: {errCode, errMsg}}` (for callFunction, an
 * InvocationReport with `error`), which the device turns into the wx API's failure; a reset or lost reply closes
 * the connection, which the device reports as `<api>:fail request:fail ...`.
 */
import { randomUUID } from 'crypto';
import { wxError, type DeviceAction, type InvocationReport, type WxError } from '../../protocol';
import { clientDatabaseCall } from '../../rules/client-access';
import { MAX_UPLOAD_BYTES, STORAGE_PERMISSION_DENIED, StorageError } from '../../storage';
import { SubscribeRequestError } from '../../wechat';
import { BODY_LIMITS } from '../../http/body';
import type { DevCloud } from '../cloud';
import { badRequest, type RouteGroup } from '../router';

type FileResult = { fileID: string; status: number; errMsg: string };

/** The phone's user's OPENID (the user is created on first use). */
function openidOf(cloud: DevCloud, body: Record<string, unknown>): string {
  if (typeof body.user !== 'string' || body.user === '') throw new Error('body.user is required');
  return cloud.user(body.user).openid;
}

/** One phone call through the fault model; mode 'error' answers `refuse(the wx error)`. */
function run<T extends object>(
  cloud: DevCloud,
  call: { action: DeviceAction; openid?: string; functionName?: string },
  apply: () => Promise<T>,
  refuse: (error: WxError) => T,
): Promise<T> {
  return cloud.faults.run(
    { target: 'device', ...call },
    {
      apply,
      refuse: (code) => refuse(wxError(call.action, typeof code === 'number' ? code : -1, 'devcloud: injected error')),
      outcomeOf: (reply) => ('error' in reply && reply.error ? 'error' : 'ok'),
    },
  );
}

const refusal = (error: WxError) => ({ error });

/** wx.login on the user's phone: a code, or the wx error. */
export function phoneLogin(cloud: DevCloud, user: string): Promise<{ code?: string; error?: WxError }> {
  const openid = cloud.user(user).openid;
  return run<{ code?: string; error?: WxError }>(
    cloud,
    { action: 'login', openid },
    async () => ({ code: cloud.wechat.issueLoginCode(openid) }),
    refusal,
  );
}

/** wx.cloud.callFunction on the user's phone (no user: no WeChat identity). */
export function phoneInvoke(cloud: DevCloud, body: Record<string, unknown>): Promise<InvocationReport> {
  const functionName = String(body.name);
  const userName = typeof body.user === 'string' ? body.user : undefined;
  const openid = userName === undefined ? undefined : openidOf(cloud, body);
  return run<InvocationReport>(
    cloud,
    { action: 'cloud.callFunction', functionName, ...(openid ? { openid } : {}) },
    () =>
      cloud.invoke(functionName, body.event ?? {}, userName, typeof body.source === 'string' ? body.source : undefined),
    // Refused: the function is not invoked, the phone's callFunction fails.
    (error) => ({ requestId: randomUUID(), functionName, error, cold: false, durationMs: 0 }),
  );
}

export const PHONE_ROUTES: RouteGroup = {
  title: 'The simulated phone',
  intro:
    'What a phone asks of the cloud; the simulated device (`createDevice`) speaks these for you. Each goes through ' +
    'the fault model as target `device` (database calls as actions `cloud.database.get`, `.count`, `.add`, ' +
    '`.update`, `.set`, `.remove`, with the collection, so `match.collection` narrows them): an injected error ' +
    'answers `{error: {errCode, errMsg}}` (for `invoke`, a report with `error`, and the function does not run), a ' +
    'reset or lost reply closes the connection.',
  onDropped: 'close',
  routes: [
    {
      method: 'POST',
      path: '/wx/login',
      takes: '`{user}`',
      answers: "`{code}`: a `wx.login` code (5 minutes, single use); it rotates the user's session key",
      run: async (cloud, { body }) => {
        openidOf(cloud, body);
        return phoneLogin(cloud, String(body.user));
      },
    },
    {
      method: 'POST',
      path: '/wx/checkSession',
      takes: '`{user}`',
      answers: '`{alive}`: what `wx.checkSession` would say',
      run: async (cloud, { body }) => {
        const openid = openidOf(cloud, body);
        return run<{ alive?: boolean; error?: WxError }>(
          cloud,
          { action: 'checkSession', openid },
          async () => ({ alive: cloud.wechat.sessionAlive(openid) }),
          refusal,
        );
      },
    },
    {
      method: 'POST',
      path: '/functions/invoke',
      takes: '`{name, event, user?, source?}`',
      answers:
        'the invocation report `{requestId, functionName, result | error: {errCode, errMsg}, cold, initMs?, ' +
        "durationMs, rssBytes?}`, as `wx.cloud.callFunction` from `user`'s phone (no `user`: no WeChat identity). " +
        '`errCode` -501000 for a missing function, -504002 when it threw, -504003 on timeout. The body is at most ' +
        "6 MB, CloudBase's limit for a function's event",
      bodyLimit: BODY_LIMITS.functionEvent,
      run: async (cloud, { body }) => phoneInvoke(cloud, body),
    },
    {
      method: 'POST',
      path: '/storage/upload',
      takes: '`{user, cloudPath, base64}`',
      answers:
        "`{fileID}`: stores the bytes as `wx.cloud.uploadFile` from `user`'s phone would (owner = that user); " +
        "`{error: {errCode, errMsg}}` when CloudBase's default storage rule refuses it (-503002: another user's " +
        'file) or the path is invalid (-501007)',
      // The file's limit, in base64 (4 characters per 3 bytes), and room for the rest of the request.
      bodyLimit: Math.ceil(MAX_UPLOAD_BYTES / 3) * 4 + 64 * 1024,
      run: async (cloud, { body }) => {
        // CloudBase's default storage rule: only a file's creator may write it (DevStorage.putFileAsUser).
        const openid = openidOf(cloud, body);
        return run<{ fileID?: string; error?: WxError }>(
          cloud,
          { action: 'cloud.uploadFile', openid },
          async () => {
            const bytes = Buffer.from(typeof body.base64 === 'string' ? body.base64 : '', 'base64');
            try {
              return { fileID: await cloud.storage.putFileAsUser(String(body.cloudPath), bytes, openid) };
            } catch (error) {
              if (!(error instanceof StorageError)) throw error;
              return error.code === STORAGE_PERMISSION_DENIED
                ? refusal(wxError('cloud.uploadFile', -503002, 'storage permission denied'))
                : refusal(wxError('cloud.uploadFile', -501007, `invalid parameters. ${error.message}`));
            }
          },
          refusal,
        );
      },
    },
    {
      method: 'POST',
      path: '/storage/delete',
      takes: '`{user, fileList: [fileID]}`',
      answers:
        '`{fileList: [{fileID, status, errMsg}]}`: `wx.cloud.deleteFile` from a phone; only the uploader may ' +
        'delete (`-503002`), a missing file is `-503003`',
      run: async (cloud, { body }) => {
        // Under the same rule only the uploader may delete; the answer is per file, as wx.cloud.deleteFile's.
        const openid = openidOf(cloud, body);
        const fileList = Array.isArray(body.fileList) ? body.fileList.map(String) : [];
        return run<{ fileList?: FileResult[]; error?: WxError }>(
          cloud,
          { action: 'cloud.deleteFile', openid },
          async () => {
            const results: FileResult[] = [];
            for (const fileID of fileList)
              results.push({ fileID, ...(await cloud.storage.deleteFileAsUser(fileID, openid)) });
            return { fileList: results };
          },
          refusal,
        );
      },
    },
    {
      method: 'POST',
      path: '/database',
      takes: '`{user, action, params}`',
      answers:
        "what `wx.cloud.database()` on `user`'s phone sends: `action` and `params` as the CloudBase database SDK " +
        'builds them (`database.getDocument`, `{collectionName, query, ...}`). Answers as the service does, ' +
        '`{requestId, data}` or `{requestId, code, message}` (`DATABASE_PERMISSION_DENIED` when the rules refuse); ' +
        "under the security rules, on the functions' database. At most 100 MB, CloudBase's limit for a request",
      bodyLimit: BODY_LIMITS.cloudbase,
      run: async (cloud, { body }) =>
        // Runs under the security rules; faults and the record are handled inside.
        clientDatabaseCall(
          { database: cloud.database, rules: cloud.rules, faults: cloud.faults },
          openidOf(cloud, body),
          body,
        ),
    },
    {
      method: 'POST',
      path: '/wx/requestSubscribeMessage',
      takes: '`{user, tmplIds}`',
      answers:
        "`{result: {<template id>: accept | reject | ban | filter}}`: the phone's `wx.requestSubscribeMessage`, " +
        'answered as the user was told to (`POST /devcloud/subscribeMessage/decisions`); `{error}` for a bad request',
      run: async (cloud, { body }) => {
        if (typeof body.user !== 'string' || body.user === '') throw badRequest('body.user is required');
        const openid = openidOf(cloud, body);
        return run<{ result?: Record<string, string>; error?: WxError }>(
          cloud,
          { action: 'requestSubscribeMessage', openid },
          async () => {
            try {
              return { result: cloud.subscriptions.request(openid, body.tmplIds) };
            } catch (error) {
              if (!(error instanceof SubscribeRequestError)) throw error;
              return { error: { errCode: error.errCode, errMsg: `requestSubscribeMessage:fail ${error.message}` } };
            }
          },
          refusal,
        );
      },
    },
  ],
};
