/**
 * The control-API side of the simulated phone (devcloud/device.ts): what wx.login, wx.checkSession,
 * wx.cloud.callFunction, wx.cloud.uploadFile and wx.cloud.deleteFile ask of devcloud. Each runs through the fault
 * model as target 'device' and is recorded with the phone's user. A refusal is answered as `{error: {errCode,
 * errMsg}}` (for callFunction, an InvocationReport with `error`), which the device turns into the wx API's failure;
 * a reset or lost reply closes the connection, which the device reports as `<api>:fail request:fail ...`.
 */
import { randomUUID } from 'crypto';
import { clientDatabaseCall } from '../../rules/client-access';
import type { DevCloud } from '../server';
import { STORAGE_PERMISSION_DENIED, StorageError } from '../../storage';
import { type DeviceAction, type InvocationReport, wxError, type WxError } from '../../protocol';

type FileResult = { fileID: string; status: number; errMsg: string };

/**
 * Answers one phone route of the control API (`POST /wx/login`, ...), or undefined when `route` is not one.
 * Throws DroppedConnection for an injected reset or lost reply.
 */
export async function phoneCall(cloud: DevCloud, route: string, body: Record<string, unknown>): Promise<unknown> {
  const userName = typeof body.user === 'string' ? body.user : undefined;
  const openidOf = () => {
    if (!userName) throw new Error('body.user is required');
    return cloud.user(userName).openid;
  };
  /** One phone call through the fault model; mode 'error' answers `refuse(the wx error)`. */
  const run = <T extends object>(
    call: { action: DeviceAction; openid?: string; functionName?: string },
    apply: () => Promise<T>,
    refuse: (error: WxError) => T,
  ): Promise<T> =>
    cloud.faults.run(
      { target: 'device', ...call },
      {
        apply,
        refuse: (code) =>
          refuse(wxError(call.action, typeof code === 'number' ? code : -1, 'devcloud: injected error')),
        outcomeOf: (reply) => ('error' in reply && reply.error ? 'error' : 'ok'),
      },
    );
  const refusal = (error: WxError) => ({ error });

  switch (route) {
    case 'POST /wx/login': {
      const openid = openidOf();
      return run<{ code?: string; error?: WxError }>(
        { action: 'login', openid },
        async () => ({ code: cloud.wechat.issueLoginCode(openid) }),
        refusal,
      );
    }
    case 'POST /wx/checkSession': {
      const openid = openidOf();
      return run<{ alive?: boolean; error?: WxError }>(
        { action: 'checkSession', openid },
        async () => ({ alive: cloud.wechat.sessionAlive(openid) }),
        refusal,
      );
    }
    case 'POST /functions/invoke': {
      const functionName = String(body.name);
      const openid = userName === undefined ? undefined : openidOf();
      return run<InvocationReport>(
        { action: 'cloud.callFunction', functionName, ...(openid ? { openid } : {}) },
        () =>
          cloud.invoke(
            functionName,
            body.event ?? {},
            userName,
            typeof body.source === 'string' ? body.source : undefined,
          ),
        // Refused: the function is not invoked, the phone's callFunction fails.
        (error) => ({ requestId: randomUUID(), functionName, error, cold: false, durationMs: 0 }),
      );
    }
    case 'POST /storage/upload': {
      // CloudBase's default storage rule: only a file's creator may write it (DevStorage.putFileAsUser).
      const openid = openidOf();
      return run<{ fileID?: string; error?: WxError }>(
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
    }
    case 'POST /storage/delete': {
      // Under the same rule only the uploader may delete; the answer is per file, as wx.cloud.deleteFile's.
      const openid = openidOf();
      const fileList = Array.isArray(body.fileList) ? body.fileList.map(String) : [];
      return run<{ fileList?: FileResult[]; error?: WxError }>(
        { action: 'cloud.deleteFile', openid },
        async () => {
          const results: FileResult[] = [];
          for (const fileID of fileList)
            results.push({ fileID, ...(await cloud.storage.deleteFileAsUser(fileID, openid)) });
          return { fileList: results };
        },
        refusal,
      );
    }
    case 'POST /database':
      // wx.cloud.database(): runs under the security rules; faults and the record are handled inside.
      return clientDatabaseCall(cloud, body);
    default:
      return undefined;
  }
}
