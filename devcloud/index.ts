/**
 * devcloud's public entry: what a project's tests and scripts use (`import { startDevCloud } from 'devcloud'`).
 * Anything not exported here is internal and may change; the CLI (`npx devcloud`) and the control API
 * (`/devcloud/...`, README.md) are the other public faces.
 */

// The local cloud, in this process.
export { DevCloud, startDevCloud } from './hub';
export type { DevCloudOptions } from './hub';
// One fault model for every call (database, storage, wechat, cloudCall, device), and the record of calls.
export { DEVICE_ACTIONS, FAULT_MODES, FAULT_TARGETS } from './faults';
// Functions: the runtime's error codes and Node binary, config.json's timer triggers and their cron.
export {
  CronSyntaxError,
  FUNCTION_CONFIG_INVALID,
  FUNCTION_EXECUTE_FAIL,
  FUNCTION_NODE_ENV,
  FUNCTION_NOT_FOUND,
  FUNCTION_TIMEOUT,
  functionNodeBinary,
  node16Binary,
  parseCloudBaseCron,
  TRIGGER_TIME_ZONE,
} from './functions';
export type { CloudBaseCron } from './functions';
// WeChat: its server API, cloud calls, subscription messages and the simulated mini-program's identities.
export {
  DEFAULT_APPID,
  DEFAULT_APPSECRET,
  DEFAULT_ENV,
  NO_FIXTURE_ERRCODE,
  openidFor,
  RISKY_MARKER,
  SUBSCRIBE_DECISIONS,
  unionidFor,
  WECHAT_APIS,
} from './wechat';
export { collectionsInRulesDir, projectFunctionsDir, projectRulesDir } from './hub/project';

// Every shape the control API takes and answers (faults, recorded calls, invocations, users, the console's views).
export type {
  CallOutcome,
  CloudCallFault,
  CollectionView,
  ControlError,
  DatabaseFault,
  DecodedToken,
  DeviceAction,
  DevCloudStats,
  DocumentPage,
  ExportEntry,
  Fault,
  FaultMatch,
  FaultMode,
  FaultOptions,
  FaultSpec,
  FaultTarget,
  FileView,
  HeldCall,
  InvocationCaller,
  InvocationContext,
  InvocationPage,
  InvocationRecord,
  InvocationReport,
  InvocationReportView,
  Latency,
  LoginAsAnswer,
  OpenApiCallRecord,
  OpenApiFixture,
  OutboundCall,
  OutboxEntry,
  OutboxKind,
  PhoneNumberDetail,
  RecordedCall,
  ScheduledTrigger,
  SessionKeyRotation,
  SessionView,
  SimulatedUser,
  SubscribeDecision,
  TimerEvent,
  TriggerFiring,
  UserView,
  WeChatApi,
  WeChatStateView,
  WxError,
} from './protocol';

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
export { CLIENT_QUERY_LIMIT } from './rules/client-access';
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
} from './phone/database';

// A typed client of the control API, for a devcloud in this process or in another one.
export { DevCloudControl } from './phone/control';

// Simulated phones: the `wx` object pages and services use, and a global `wx` that forwards to one of them.
export { createDevice, DeviceStorage } from './phone/device';
export type {
  Device,
  DeviceCalls,
  DeviceOptions,
  PhoneNumberEventDetail,
  RequestRecord,
  SimulatedWx,
} from './phone/device';
export { installForwardingWx, useDevice } from './phone/wx-global';
// The phone's privacy agreement (用户隐私保护指引) and its popups, and the phone-number buttons' billing.
export { DevicePrivacy, PHONE_NO_QUOTA, PRIVACY_NOT_AUTHORIZED } from './phone/privacy';
export type { PhoneButtonOptions, PhoneCharges, PrivacyFailure, PrivacyOptions, PrivacyRecord } from './phone/privacy';

// Collections as files (the CLI's --import and --export-on-exit).
export { CollectionFileError, exportCollections, importCollections, readCollectionFiles } from './database/collections';
export type { CollectionFile } from './database/collections';
