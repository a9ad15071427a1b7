import { code2Session } from '../core/code2session';
import { WeChatCallError, type WeChatPort } from '../core/ports';

/** The cloud calls a function makes (cloudbase/calls/*.ts): those it declares in its config.json. */
export type CloudCalls = Partial<Omit<WeChatPort, 'code2Session'>>;

/**
 * WeChat as a cloud function reaches it: code2Session over HTTPS with the AppSecret (no cloud call exists for it),
 * everything else as the cloud calls the function brings. A call it does not bring answers as the cloud answers a
 * call missing from config.json: -604101.
 */
export function cloudWeChat(appid: string, calls: CloudCalls): WeChatPort {
  const undeclared = (api: string) => () => Promise.reject(new WeChatCallError(api, -604101));
  return {
    code2Session: (code) => code2Session(appid, code),
    getPhoneNumber: calls.getPhoneNumber ?? undeclared('phonenumber.getPhoneNumber'),
    msgSecCheck: calls.msgSecCheck ?? undeclared('security.msgSecCheck'),
    getUserRiskRank: calls.getUserRiskRank ?? undeclared('riskControl.getUserRiskRank'),
    ...(calls.resolveCloudID ? { resolveCloudID: calls.resolveCloudID } : {}),
  };
}
