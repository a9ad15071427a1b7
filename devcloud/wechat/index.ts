/**
 * wechat/: WeChat as a mini-program's cloud functions and phones meet it, checked against wx-server-sdk 4.0.2.
 * - server-api.ts: the server API (api.weixin.qq.com: jscode2session, checksession, getuserphonenumber, the access
 *   token), a table of endpoints a new API is added to;
 * - cloud-calls/: cloud.openapi.* and cloud.getOpenData through the CloudBase gateway (protobuf, config.json
 *   permissions), with fakes of WeChat's APIs (cloud-calls/fakes.ts) and canned replies for the rest;
 * - opendata.ts: the legacy encrypted data (getPhoneNumber's encryptedData/iv) and cloudIDs;
 * - outbox.ts: what WeChat delivered (subscription and customer-service messages, check results, links);
 * - subscriptions.ts: wx.requestSubscribeMessage and the one-time allowances it grants;
 * - identity.ts: the simulated mini-program's appid and its users' OPENIDs and UNIONIDs.
 */
export {
  cloudCallRefusal,
  DevOpenApi,
  isOpenApiRequest,
  NO_FIXTURE_ERRCODE,
  OPEN_DATA_API,
  OPENAPI_ERROR,
  openApiErrorReply,
  openApiNameOf,
  OpenDataRefusal,
  type OpenApiReply,
} from './cloud-calls';
export { registerCloudCallFakes, RISKY_MARKER } from './cloud-calls/fakes';
export { DEFAULT_APPID, DEFAULT_APPSECRET, DEFAULT_ENV, openidFor, unionidFor } from './identity';
export { OpenDataIssuer } from './opendata';
export { Outbox } from './outbox';
export { WECHAT_APIS, WeChatFake, weChatFaultSpec, type WeChatReply, type WeChatRequest } from './server-api';
export { SUBSCRIBE_DECISIONS, SubscribeRequestError, SubscriptionStore } from './subscriptions';
