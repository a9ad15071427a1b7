/**
 * devcloud's public entry: what a project's tests and scripts use (`import { startDevCloud } from 'devcloud'`).
 * Anything not exported here is internal and may change; the CLI (`npx devcloud`) and the control API
 * (`/devcloud/...`, README.md) are the other public faces.
 */

// The local cloud, in this process.
export { startDevCloud, DevCloud } from './server';
export type {
  CloudCallFault,
  DatabaseFault,
  DevCloudOptions,
  DevCloudStats,
  Latency,
  PhoneNumberDetail,
  SimulatedUser,
} from './server';
export { WECHAT_APIS } from './wechat';
export type { Fault, SessionKeyRotation, WeChatApi } from './wechat';
// One fault model for every call (database, storage, wechat, cloudCall, device), and the record of calls.
export { DEVICE_ACTIONS, FAULT_MODES, FAULT_TARGETS } from './faults';
export type {
  CallOutcome,
  DeviceAction,
  FaultMatch,
  FaultMode,
  FaultSpec,
  FaultTarget,
  OutboundCall,
  HeldCall,
  RecordedCall,
} from './faults';
export type { WxError } from './phone-api';
export {
  FUNCTION_EXECUTE_FAIL,
  FUNCTION_NODE_ENV,
  FUNCTION_NOT_FOUND,
  FUNCTION_TIMEOUT,
  functionNodeBinary,
  node16Binary,
} from './runtime';
export type { InvocationContext, InvocationReport } from './runtime';
// Cloud calls, the outbox, subscription messages, timer triggers and per-function config.
export { FUNCTION_CONFIG_INVALID } from './runtime';
export { NO_FIXTURE_ERRCODE } from './openapi';
export type { OpenApiCallRecord, OpenApiFixture } from './openapi';
export { RISKY_MARKER } from './openapi/fakes';
export type { OutboxEntry, OutboxKind } from './outbox';
export { SUBSCRIBE_DECISIONS } from './subscriptions';
export type { SubscribeDecision } from './subscriptions';
export type { ScheduledTrigger, TimerEvent, TriggerFiring } from './timers';
export { parseCloudBaseCron, CronSyntaxError, TRIGGER_TIME_ZONE } from './cron';
export type { CloudBaseCron } from './cron';
export { DEFAULT_APPID, DEFAULT_APPSECRET, DEFAULT_ENV, openidFor, unionidFor } from './identity';
export { collectionsInRulesDir, projectFunctionsDir, projectRulesDir } from './project';

// Security rules for client database access, and wx.cloud.database() on a simulated phone.
export {
  allowsDocument,
  allowsQuery,
  parseRuleExpression,
  RULE_OPERATIONS,
  RuleSyntaxError,
  RulesFileError,
  SecurityRules,
} from './rules';
export type { CollectionRules, Rule, RuleOperation, RuleRequest } from './rules';
export { CLIENT_QUERY_LIMIT } from './client-db/service';
export type {
  AddResult,
  ClientCollection,
  ClientDatabase,
  ClientDocument,
  ClientQuery,
  CountResult,
  DocumentGetResult,
  GetResult,
  RemoveResult,
  SetResult,
  UpdateResult,
} from './client-db/api';

// A typed client of the control API, for a devcloud in this process or in another one.
export { DevCloudControl } from './control';

// Simulated phones: the `wx` object pages and services use, and a global `wx` that forwards to one of them.
export { createDevice, DeviceStorage } from './device';
export type { Device, DeviceCalls, DeviceOptions, PhoneNumberEventDetail, RequestRecord, SimulatedWx } from './device';
export { installForwardingWx, useDevice } from './wx-global';
// The phone's privacy agreement (用户隐私保护指引) and its popups, and the phone-number buttons' billing.
export { DevicePrivacy, PHONE_NO_QUOTA, PRIVACY_NOT_AUTHORIZED } from './privacy';
export type { PhoneButtonOptions, PhoneCharges, PrivacyFailure, PrivacyOptions, PrivacyRecord } from './privacy';

// What the console's control routes answer (console-api.ts; the page is served at /console).
export type {
  CollectionView,
  ControlError,
  DecodedToken,
  DocumentPage,
  ExportEntry,
  FaultOptions,
  FileView,
  InvocationCaller,
  InvocationPage,
  InvocationRecord,
  InvocationReportView,
  LoginAsAnswer,
  SessionView,
  UserView,
  WeChatStateView,
} from './console/types';

// Collections as files (the CLI's --import and --export-on-exit).
export { CollectionFileError, exportCollections, importCollections, readCollectionFiles } from './collections';
export type { CollectionFile } from './collections';
