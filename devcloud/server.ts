import { randomUUID } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { join, resolve } from 'path';
import { DATABASE_ACTIONS, DevDatabase } from './database';
import {
  cloudCallFaultSpec,
  databaseFaultSpec,
  DEVICE_ACTIONS,
  DroppedConnection,
  FaultInjector,
  InvalidFault,
  type CloudCallFault,
  type DatabaseFault,
  type FaultSpec,
  type FaultTarget,
  type HeldCall,
  type OutboundCall,
  type RecordedCall,
} from './faults';
import {
  DevOpenApi,
  isOpenApiRequest,
  OPEN_DATA_API,
  openApiErrorReply,
  openApiNameOf,
  type OpenApiReply,
} from './openapi';
import { DevStorage, STORAGE_ACTIONS, type StorageCaller } from './storage';
import { phoneCall } from './phone-api';
import { FunctionRuntime, type InvocationContext, type InvocationReport } from './runtime';
import { DEFAULT_APPID, DEFAULT_APPSECRET, DEFAULT_ENV, openidFor, unionidFor } from './identity';
import { OpenDataIssuer, type LegacyOpenData } from './opendata';
import { withLatency } from './latency';
import { WECHAT_APIS, WeChatFake, weChatFaultSpec, type Fault, type SessionKeyRotation } from './wechat';
import { refuseForeignRequest } from './guard';
import { collectionsInRulesDir, projectFunctionsDir, projectRulesDir } from './project';
import { SecurityRules } from './rules';
// Cloud calls, function-to-function calls and timer triggers (see calls-control.ts for their control routes).
import { callsControl } from './calls-control';
import { calleeContext, INVOKE_FUNCTION_ACTION, invokeFunctionReply, parseInvokeFunction } from './functions-api';
import { registerCloudCallFakes } from './openapi/fakes';
import { Outbox } from './outbox';
import { SubscriptionStore } from './subscriptions';
import { TimerScheduler } from './timers';
import { InvocationHistory } from './invocations';
import { ChangeFeed } from './live';
import { serveConsole } from './console-api';

/**
 * devcloud: CloudBase and WeChat on loopback. One HTTP server carries
 *   /fn/<function>/i/<instance>/admin   the CloudBase API wx-server-sdk calls (database, storage, cloud calls),
 *                          per function instance (so a cloud call knows whose invocation makes it)
 *   /wx/...                the WeChat server API fake (jscode2session, checksession, ...)
 *   /storage/...           upload and download URLs of the storage emulator
 *   /devcloud/...          the control API: simulated devices, function invocation, faults, inspection
 * Every call a function or a simulated phone makes runs through one FaultInjector (./faults.ts): faults of any
 * kind can be injected into it, and it records the calls.
 */

/** Function log lines kept for GET /devcloud/logs (the newest). */
const MAX_LOG_LINES = 10_000;

export interface DevCloudOptions {
  /** Folder for the on-disk store (database and files); absent: everything in memory. */
  dataDir?: string;
  port?: number;
  /** Default: the current folder's project (project.config.json's cloudfunctionRoot, else ./cloudfunctions). */
  functionsDir?: string;
  appid?: string;
  envId?: string;
  appSecret?: string;
  maxInstancesPerFunction?: number;
  functionTimeoutMs?: number;
  /** When a new wx.login code rotates the user's session_key (default: every code). */
  sessionKeyRotation?: SessionKeyRotation;
  /** Extra environment per function (the login function always gets WECHAT_APPSECRET unless overridden). */
  functionEnv?: Record<string, Record<string, string>>;
  /** The Node.js binary for function instances (default: DEVCLOUD_FUNCTION_NODE, else devcloud's own Node). */
  functionNode?: string;
  /** Fire config.json timer triggers on schedule (default true); POST /devcloud/functions/trigger works either way. */
  timers?: boolean;
  /**
   * The project's security-rules folder, one `<collection>.json` per collection: each of those collections exists
   * from the start, as one created in the console, and the rules govern wx.cloud.database() on simulated phones
   * (a collection without rules is closed to them; cloud functions are never subject to rules). Default:
   * ./database-rules when present; false: none. (Any other collection must be created first, as in CloudBase:
   * db.createCollection, or an import.) `DevCloud.rules` can be replaced at run time.
   */
  rulesDir?: string | false;
  /** More collections that exist from the start. */
  collections?: string[];
}

/** Modelled distances, in ms per call: function to database, function to WeChat, phone to cloud (callFunction). */
export interface Latency {
  databaseMs: number;
  wechatMs: number;
  /** One wx.cloud.callFunction round trip from the phone, on top of the function's own run. */
  callFunctionMs: number;
}

/** The original fault shapes, now FaultSpecs underneath: kept for their users. */
export type { CloudCallFault, DatabaseFault } from './faults';

export interface DevCloudStats {
  functions: { invocations: number; coldStarts: number; peakInstanceRssBytes: number };
  /**
   * roundTrips: database calls. sequentialTrips: stretches of time with at least one call in flight, so calls made
   * in parallel count once (what a caller waits for, with latency set).
   */
  database: { roundTrips: number; sequentialTrips: number; byAction: Record<string, number> };
  wechat: Record<string, number>;
  devcloudRssBytes: number;
}

export interface SimulatedUser {
  name: string;
  openid: string;
  unionid?: string;
  /** What WeChat knows as the user's phone number (default 13800001234). */
  phoneNumber: string;
  /** What riskControl.getUserRiskRank answers for the user: 0 (lowest) to 4 (default 0). */
  riskRank: number;
}

/** What <button open-type="getPhoneNumber"> hands the page when the user agrees. */
export interface PhoneNumberDetail extends Partial<LegacyOpenData> {
  code: string;
}

export class DevCloud {
  readonly appid: string;
  readonly envId: string;
  readonly database: DevDatabase;
  readonly storage: DevStorage;
  readonly openapi: DevOpenApi;
  readonly wechat: WeChatFake;
  readonly openData: OpenDataIssuer;
  readonly runtime: FunctionRuntime;
  /** Messages, check results and links devcloud's WeChat delivered (GET /devcloud/outbox). */
  readonly outbox = new Outbox();
  /** One-time subscription messages the simulated users allowed (wx.requestSubscribeMessage). */
  readonly subscriptions = new SubscriptionStore();
  /** config.json timer triggers. */
  readonly timers: TimerScheduler;
  /** The collections' security rules for client (phone) database calls; replace it to change them. */
  rules: SecurityRules;
  /** Faults pending for every kind of call, and the record of the calls made. */
  readonly faults: FaultInjector;
  readonly logs: Array<{ functionName: string; line: string }> = [];
  /** Every invocation, with its event, result and log lines (the newest 500): what the console shows. */
  readonly invocations: InvocationHistory;
  /** Changes made through the control API, for the console's live stream. */
  readonly changes = new ChangeFeed();
  /** Added to every database call (ms), to model the distance between a function and the database. */
  databaseLatencyMs = 0;
  /** Added to every callFunction (ms), half each way: the phone's round trip to the cloud. */
  callFunctionLatencyMs = 0;

  /** Model the distances (ms per call); what is left out keeps its value. All 0 by default, so tests stay fast. */
  setLatency(latency: Partial<Latency>): void {
    if (latency.databaseMs !== undefined) this.databaseLatencyMs = latency.databaseMs;
    if (latency.wechatMs !== undefined) this.wechat.latencyMs = latency.wechatMs;
    if (latency.callFunctionMs !== undefined) this.callFunctionLatencyMs = latency.callFunctionMs;
  }

  latency(): Latency {
    return {
      databaseMs: this.databaseLatencyMs,
      wechatMs: this.wechat.latencyMs,
      callFunctionMs: this.callFunctionLatencyMs,
    };
  }
  private readonly users = new Map<string, SimulatedUser>();
  private dbCalls: Record<string, number> = {};
  private dbInFlight = 0;
  private dbSequentialTrips = 0;
  private peakRss = 0;
  private readonly rssTimer: NodeJS.Timeout;

  constructor(
    readonly url: string,
    private readonly server: http.Server,
    options: Required<Pick<DevCloudOptions, 'appid' | 'envId' | 'appSecret' | 'functionsDir'>> & DevCloudOptions,
  ) {
    this.appid = options.appid;
    this.envId = options.envId;
    this.rules = loadRules(options.rulesDir);
    this.faults = new FaultInjector({ isKnownAction: (target, action) => this.isKnownAction(target, action) });
    this.database = new DevDatabase(options.dataDir ? { dir: join(options.dataDir, 'database') } : {});
    this.storage = new DevStorage({
      ...(options.dataDir ? { dir: join(options.dataDir, 'storage') } : {}),
      envId: this.envId,
      appId: this.appid,
      publicBaseUrl: `${url}/storage`,
      faults: this.faults,
    });
    this.openapi = new DevOpenApi({ functionsDir: options.functionsDir, appId: this.appid });
    this.wechat = new WeChatFake(this.appid, options.appSecret, options.sessionKeyRotation, this.faults);
    // `openid` (optional) binds the code to its user; the SDK sends data keys snake_cased, and openid stays openid.
    this.openapi.register(
      'phonenumber.getPhoneNumber',
      async (data) => this.wechat.phoneNumberFor(data.code, data.openid).body,
    );
    this.openapi.register('security.msgSecCheck', async (data) => msgSecCheck(data));
    this.openapi.register('riskControl.getUserRiskRank', async (data) => this.userRiskRank(data));
    this.openData = new OpenDataIssuer(this.wechat, this.appid);
    this.invocations = new InvocationHistory({
      userOf: (openid) => this.userWithOpenid(openid)?.name,
      secrets: () => [options.appSecret, ...this.wechat.sessionKeys()],
    });
    this.openapi.setOpenDataResolver(async (cloudIds, ctx) => this.openData.resolve(cloudIds, ctx.openid));
    this.runtime = new FunctionRuntime({
      functionsDir: options.functionsDir,
      baseUrl: url,
      envId: this.envId,
      accountAppId: this.appid, // devcloud's bucket is <hex>-<env>-<appid> (storage/paths.ts bucketOf)
      functionEnv: {
        ...options.functionEnv,
        login: { WECHAT_APPSECRET: options.appSecret, ...options.functionEnv?.login },
      },
      maxInstancesPerFunction: options.maxInstancesPerFunction ?? 8,
      timeoutMs: options.functionTimeoutMs ?? 3000,
      onInvocationStart: (start) => this.invocations.started(start),
      onInvocationEnd: (report) => this.invocations.ended(report),
      onLog: (functionName, line, requestId) => {
        this.invocations.log(requestId, line);
        this.logs.push({ functionName, line });
        // A long-running devcloud keeps the newest lines only, so its memory stays flat.
        if (this.logs.length > MAX_LOG_LINES) this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
      },
      ...(options.functionNode ? { nodeBinary: options.functionNode } : {}),
    });
    registerCloudCallFakes(this.openapi, {
      outbox: this.outbox,
      subscriptions: this.subscriptions,
      knowsOpenid: (openid) => [...this.users.values()].some((user) => user.openid === openid),
    });
    this.timers = new TimerScheduler({
      configs: this.runtime.configs,
      appid: this.appid,
      invoke: (functionName, event, context) => this.runtime.invoke(functionName, event, context),
    });
    this.rssTimer = setInterval(() => (this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss)), 50);
    this.rssTimer.unref();
  }

  /** A simulated WeChat user of this mini-program (created on first use). */
  user(name: string, options: { unionid?: boolean; phoneNumber?: string; riskRank?: number } = {}): SimulatedUser {
    let user = this.users.get(name);
    if (!user) {
      user = { name, openid: openidFor(this.appid, name), phoneNumber: '13800001234', riskRank: 0 };
      this.users.set(name, user);
    }
    if (options.unionid) user.unionid = unionidFor(name);
    if (options.phoneNumber) user.phoneNumber = options.phoneNumber;
    if (options.riskRank !== undefined) user.riskRank = options.riskRank;
    this.wechat.registerUser({
      openid: user.openid,
      phoneNumber: user.phoneNumber,
      ...(user.unionid ? { unionid: user.unionid } : {}),
    });
    return user;
  }

  /** Every simulated user, in order of creation. */
  simulatedUsers(): SimulatedUser[] {
    return [...this.users.values()].map((user) => ({ ...user }));
  }

  /** The simulated user with this OPENID, if any. */
  userWithOpenid(openid: string): SimulatedUser | undefined {
    return [...this.users.values()].find((user) => user.openid === openid);
  }

  /**
   * riskControl.getUserRiskRank: {appid, openid, scene, client_ip (required), ...} -> {errcode, errmsg, risk_rank,
   * unoin_id} (sic, WeChat's spelling). The rank is the simulated user's (POST /devcloud/users {riskRank}).
   */
  private userRiskRank(data: Record<string, unknown>): Record<string, unknown> {
    if (typeof data.client_ip !== 'string' || data.client_ip === '' || typeof data.openid !== 'string') {
      return { errcode: 47001, errmsg: 'data format error: openid and client_ip are required' };
    }
    if (data.scene !== 0 && data.scene !== 1 && data.scene !== 2) return { errcode: 47001, errmsg: 'invalid scene' };
    const user = this.userWithOpenid(data.openid);
    return { errcode: 0, errmsg: 'getUserRiskRank succ', risk_rank: user?.riskRank ?? 0, unoin_id: 0 };
  }

  /** The getPhoneNumber button's detail for a user: a code for the cloud call, plus the legacy open data. */
  phoneNumberDetail(name: string): PhoneNumberDetail {
    const user = this.user(name);
    const legacy = this.openData.phoneNumber(user.openid, user.phoneNumber);
    return { code: this.wechat.issuePhoneCode(user.openid), ...legacy };
  }

  /** Call a function as the mini-program of `userName` would (wx.cloud.callFunction), or with no identity. */
  invoke(functionName: string, event: unknown, userName?: string, source = 'wx_client'): Promise<InvocationReport> {
    const context: InvocationContext = { APPID: this.appid, SOURCE: source, CLIENTIP: '127.0.0.1' };
    if (userName !== undefined) {
      const user = this.user(userName);
      context.OPENID = user.openid;
      if (user.unionid) context.UNIONID = user.unionid;
    }
    // WeChat injects userInfo into the event of client calls; functions must ignore it.
    const withUserInfo =
      event && typeof event === 'object' && userName !== undefined
        ? { ...(event as Record<string, unknown>), userInfo: { appId: this.appid, openId: context.OPENID } }
        : event;
    const leg = this.callFunctionLatencyMs / 2;
    if (leg <= 0) return this.runtime.invoke(functionName, withUserInfo, context);
    const sleep = () => new Promise((done) => setTimeout(done, leg));
    return sleep()
      .then(() => this.runtime.invoke(functionName, withUserInfo, context))
      .then(async (report) => {
        await sleep();
        return report;
      });
  }

  /** Fail calls of any kind (see FaultSpec); throws InvalidFault, injecting nothing, for a spec that is wrong. */
  injectFault(spec: FaultSpec): void {
    this.faults.inject(spec);
  }

  /** Faults not used up yet, with the skip and times they have left. */
  pendingFaults(): FaultSpec[] {
    return this.faults.pendingFaults();
  }

  /** Every call functions and phones made, in order of arrival (the newest 10,000). */
  recordedCalls(): RecordedCall[] {
    return this.faults.recordedCalls();
  }

  clearRecordedCalls(): void {
    this.faults.clearRecordedCalls();
  }

  injectDatabaseFault(fault: DatabaseFault = {}): void {
    this.faults.inject(databaseFaultSpec(fault));
  }

  injectCloudCallFault(fault: CloudCallFault): void {
    this.faults.inject(cloudCallFaultSpec(fault));
  }

  injectWeChatFault(fault: Fault): void {
    this.wechat.injectFault(fault);
  }

  /** Calls a 'hold' fault keeps waiting, in order of arrival. */
  heldCalls(): HeldCall[] {
    return this.faults.heldCalls();
  }

  /** Lets held calls go on: the one with this seq, or all; answers how many. */
  releaseHeld(seq?: number): number {
    return this.faults.release(seq);
  }

  /** Drops pending faults (and releases the calls they hold): all, or only those scoped to one user's calls. */
  clearFaults(filter: { openid?: string } = {}): void {
    this.faults.clear(filter);
  }

  /** The action names a fault's match.action may name, per target (for the console's fault form). */
  faultActions(): Record<FaultTarget, string[]> {
    return {
      database: [...DATABASE_ACTIONS],
      storage: [...STORAGE_ACTIONS],
      wechat: [...WECHAT_APIS],
      cloudCall: [...this.openapi.apiNames(), CLOUD_CALL_OPEN_DATA],
      functions: [INVOKE_FUNCTION_ACTION],
      device: [...DEVICE_ACTIONS],
    };
  }

  /** Action names a fault may match, per target: a misspelt one would never act. */
  private isKnownAction(target: FaultTarget, action: string): boolean {
    switch (target) {
      case 'database':
        return DATABASE_ACTIONS.includes(action);
      case 'storage':
        return STORAGE_ACTIONS.includes(action);
      case 'wechat':
        return (WECHAT_APIS as readonly string[]).includes(action);
      case 'cloudCall':
        return action === CLOUD_CALL_OPEN_DATA || this.openapi.knows(action);
      case 'functions':
        return action === INVOKE_FUNCTION_ACTION;
      case 'device':
        return (DEVICE_ACTIONS as readonly string[]).includes(action);
    }
  }

  /** Documents of a collection as plain JSON (dates as ISO strings), sorted by _id. */
  async documents(collection: string): Promise<Array<Record<string, unknown>>> {
    return JSON.parse(JSON.stringify(await this.database.dump(collection))) as Array<Record<string, unknown>>;
  }

  stats(): DevCloudStats {
    const byAction = { ...this.dbCalls };
    const roundTrips = Object.values(byAction).reduce((sum, n) => sum + n, 0);
    return {
      functions: { ...this.runtime.stats },
      database: { roundTrips, sequentialTrips: this.dbSequentialTrips, byAction },
      wechat: { ...this.wechat.calls },
      devcloudRssBytes: Math.max(this.peakRss, process.memoryUsage().rss),
    };
  }

  resetStats(): void {
    this.dbCalls = {};
    this.dbSequentialTrips = 0;
    for (const key of Object.keys(this.wechat.calls) as Array<keyof typeof this.wechat.calls>)
      this.wechat.calls[key] = 0;
    this.runtime.stats.invocations = 0;
    this.runtime.stats.coldStarts = 0;
  }

  async stop(): Promise<void> {
    clearInterval(this.rssTimer);
    this.timers.stop();
    await this.runtime.stop();
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
    await this.database.close();
  }

  /**
   * One CloudBase API request from a function's SDK. Throws DroppedConnection when a fault says the connection is
   * to be destroyed without a reply.
   */
  async handleCloudApi(
    functionName: string,
    instanceId: number | undefined,
    contentType: string | undefined,
    raw: Buffer,
  ): Promise<CloudApiReply> {
    const openid = instanceId === undefined ? undefined : this.runtime.callerOf(instanceId)?.OPENID;
    const caller: StorageCaller = { functionName, ...(openid ? { openid } : {}) };
    if (isOpenApiRequest(contentType)) {
      const apiName = openApiNameOf(contentType, raw);
      const action = apiName === OPEN_DATA_API ? CLOUD_CALL_OPEN_DATA : (apiName ?? '');
      return this.faults.run(
        { target: 'cloudCall', action, ...caller },
        {
          apply: async () =>
            openApiHttp(await this.openapi.handle(functionName, contentType ?? '', raw, openid ? { openid } : {})),
          refuse: (code) => openApiHttp(openApiErrorReply(apiName, typeof code === 'number' ? code : -1)),
          outcomeOf: (reply) => reply.outcome,
        },
      );
    }
    const requestId = randomUUID();
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return serviceReply(requestId, { code: 'INVALID_PARAM', message: 'request body is not JSON' });
    }
    const action = typeof body.action === 'string' ? body.action : '';
    if (action === INVOKE_FUNCTION_ACTION) return this.invokeFromFunction(functionName, instanceId, body, requestId);
    const target = action.startsWith('database.') ? 'database' : action.startsWith('storage.') ? 'storage' : undefined;
    if (!target)
      return serviceReply(requestId, { code: 'INVALID_ACTION', message: `devcloud does not emulate action ${action}` });
    const call: OutboundCall = { target, action, ...caller };
    if (target === 'database' && typeof body.collectionName === 'string') call.collection = body.collectionName;
    return this.faults.run(call, {
      apply: async () => {
        try {
          const fields =
            target === 'database'
              ? await this.databaseCall(action, body)
              : await this.storage.handle(action, body, caller);
          return serviceReply(requestId, fields);
        } catch (error) {
          const code = error && typeof error === 'object' && 'code' in error ? String(error.code) : 'SYS_ERR';
          return serviceReply(requestId, { code, message: (error as Error).message ?? String(error) });
        }
      },
      refuse: (code) =>
        serviceReply(requestId, {
          code: typeof code === 'string' ? code : DEFAULT_SERVICE_CODE[target],
          message: `devcloud: injected ${target} fault`,
        }),
      outcomeOf: (reply) => reply.outcome,
    });
  }

  /**
   * cloud.callFunction inside a function (functions-api.ts): the callee runs for the caller's user, with SOURCE
   * '<caller's SOURCE>,scf'; recorded and faultable as target 'functions' (callee: the function called).
   */
  private invokeFromFunction(
    functionName: string,
    instanceId: number | undefined,
    body: Record<string, unknown>,
    requestId: string,
  ): Promise<CloudApiReply> {
    const caller = instanceId === undefined ? undefined : this.runtime.callerOf(instanceId);
    const request = parseInvokeFunction(body);
    const call: OutboundCall = { target: 'functions', action: INVOKE_FUNCTION_ACTION, functionName };
    if (typeof request !== 'string') call.callee = request.functionName;
    if (caller?.OPENID) call.openid = caller.OPENID;
    return this.faults.run(call, {
      apply: async () => {
        if (typeof request === 'string') return serviceReply(requestId, { code: 'INVALID_PARAM', message: request });
        const report = await this.runtime.invoke(
          request.functionName,
          request.event,
          calleeContext(caller, this.appid),
        );
        return serviceReply(report.requestId, invokeFunctionReply(report));
      },
      refuse: (code) =>
        serviceReply(requestId, {
          code: typeof code === 'string' ? code : 'FUNCTIONS_EXECUTE_FAIL',
          message: 'devcloud: injected functions fault',
        }),
      outcomeOf: (reply) => reply.outcome,
    });
  }

  private async databaseCall(action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.dbCalls[action] = (this.dbCalls[action] ?? 0) + 1;
    if (this.dbInFlight === 0) this.dbSequentialTrips += 1;
    this.dbInFlight += 1;
    try {
      return await this.databaseCallInFlight(action, body);
    } finally {
      this.dbInFlight -= 1;
    }
  }

  private async databaseCallInFlight(action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    return withLatency(this.databaseLatencyMs, () => this.database.handle(action, body));
  }
}

/** The rulesDir option's rules (a wrong file throws RulesFileError): the folder, the project's if any, or none. */
function loadRules(rulesDir: string | false | undefined): SecurityRules {
  const dir = rulesDir === false ? undefined : (rulesDir ?? projectRulesDir());
  return dir === undefined ? SecurityRules.none() : SecurityRules.load(resolve(dir));
}

/** A small stand-in for WeChat's content check: rejects text containing the words tests use as "risky". */
function msgSecCheck(data: Record<string, unknown>): Record<string, unknown> {
  const content = typeof data.content === 'string' ? data.content : '';
  const risky = /违规|赌博|色情/.test(content);
  return {
    errcode: 0,
    errmsg: 'ok',
    result: { suggest: risky ? 'risky' : 'pass', label: risky ? 20001 : 100 },
    detail: [
      {
        strategy: 'content_model',
        errcode: 0,
        suggest: risky ? 'risky' : 'pass',
        label: risky ? 20001 : 100,
        prob: risky ? 90 : 0,
      },
    ],
    trace_id: randomUUID(),
  };
}

/** getOpenData's name in faults and the call record (on the wire its apiName is ApiGetOpenDataByCloudId). */
const CLOUD_CALL_OPEN_DATA = 'getOpenData';

/** The code a service answers an injected 'error' with when the fault names none. */
const DEFAULT_SERVICE_CODE = { database: 'DATABASE_REQUEST_FAILED', storage: 'STORAGE_REQUEST_FAIL' } as const;

export interface CloudApiReply {
  status: number;
  type: string;
  body: Buffer | string;
  outcome: 'ok' | 'error';
}

/** A CloudBase JSON reply: `{requestId, ...fields}`, an error when it carries a code. */
function serviceReply(requestId: string, fields: Record<string, unknown>): CloudApiReply {
  return {
    status: 200,
    type: 'application/json',
    body: JSON.stringify({ requestId, ...fields }),
    outcome: fields.code === undefined ? 'ok' : 'error',
  };
}

function openApiHttp(reply: OpenApiReply): CloudApiReply {
  return { status: 200, type: reply.contentType, body: reply.body, outcome: reply.outcome };
}

function readBody(request: http.IncomingMessage): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => done(Buffer.concat(chunks)));
    request.on('error', fail);
  });
}

/** The collections a project declares: its rules folder's, and any named in the options. */
function declaredCollections(options: DevCloudOptions): string[] {
  const rulesDir = options.rulesDir === false ? undefined : (options.rulesDir ?? projectRulesDir());
  return [...(rulesDir === undefined ? [] : collectionsInRulesDir(resolve(rulesDir))), ...(options.collections ?? [])];
}

export async function startDevCloud(options: DevCloudOptions = {}): Promise<DevCloud> {
  const collections = declaredCollections(options);
  // Assigned once listening (the URL needs the port); requests before that get 503.
  let cloud: DevCloud | undefined;
  const server = http.createServer((request, response) => {
    if (!cloud) {
      response.writeHead(503).end();
      return;
    }
    if (refuseForeignRequest(cloud.url, request, response)) return;
    route(cloud, request, response).catch((error: unknown) => {
      // An injected reset or lost reply: the caller sees its connection close with no answer. What it still sends
      // (an upload's bytes) is read first, so it always fails waiting for the answer ("socket hang up"), never on
      // a write (EPIPE) that depends on timing.
      if (error instanceof DroppedConnection) {
        if (request.complete) request.socket.destroy();
        else request.on('end', () => request.socket.destroy()).resume();
        return;
      }
      if (error instanceof InvalidFault) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: error.code, message: error.message }));
        return;
      }
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ code: 'SYS_ERR', message: String((error as Error)?.message ?? error) }));
    });
  });
  // wx-server-sdk keeps sockets alive without retrying a reset: hold idle sockets longer than it does (5 s).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((done) => server.listen(options.port ?? 0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  try {
    cloud = new DevCloud(`http://127.0.0.1:${port}`, server, {
      ...options,
      appid: options.appid ?? DEFAULT_APPID,
      envId: options.envId ?? DEFAULT_ENV,
      appSecret: options.appSecret ?? DEFAULT_APPSECRET,
      functionsDir: resolve(options.functionsDir ?? projectFunctionsDir()),
    });
  } catch (error) {
    server.close(); // a listening server would keep the process (and jest) alive
    throw error;
  }
  try {
    await cloud.database.ensureCollections(collections);
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  if (options.timers !== false) await cloud.timers.start();
  return cloud;
}

async function route(cloud: DevCloud, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', cloud.url);
  const path = url.pathname;
  const fn = /^\/fn\/([A-Za-z0-9_-]+)(?:\/i\/([0-9]+))?\/admin\/?$/.exec(path);
  if (fn && request.method === 'POST') {
    const instanceId = fn[2] === undefined ? undefined : Number(fn[2]);
    const reply = await cloud.handleCloudApi(
      fn[1]!,
      instanceId,
      request.headers['content-type'],
      await readBody(request),
    );
    response.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body);
    return;
  }
  if (path.startsWith('/wx/')) {
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      // WeChat answers a body it cannot parse with HTTP 200 and errcode 47001 (data format error).
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ errcode: 47001, errmsg: 'data format error' }));
      return;
    }
    const reply = await cloud.wechat.serve(request.method ?? 'GET', path.slice(3), url.searchParams, body);
    response.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    return;
  }
  if (path.startsWith('/storage/')) {
    if (await cloud.storage.serve(request, response, path.slice('/storage'.length))) return;
  }
  // The console's page and the control routes it adds (./console-api.ts).
  if (await serveConsole(cloud, request, response, url)) return;
  if (path.startsWith('/devcloud/')) {
    const raw = await readBody(request);
    const body = (raw.length ? JSON.parse(raw.toString('utf8')) : {}) as Record<string, unknown>;
    const method = request.method ?? 'GET';
    const reply = await control(cloud, method, path.slice('/devcloud'.length), body);
    response.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    if (method !== 'GET') cloud.changes.notify({ route: `${method} ${path.slice('/devcloud'.length)}` });
    return;
  }
  response
    .writeHead(404, { 'content-type': 'application/json' })
    .end(JSON.stringify({ code: 'NOT_FOUND', message: path }));
}

/** A JSON object's string-valued entries (an environment): anything else is dropped. */
function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/** The control API: what simulated devices, tests, the journey and the benchmark ask of the local cloud. */
async function control(
  cloud: DevCloud,
  method: string,
  path: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const userName = typeof body.user === 'string' ? body.user : undefined;
  const needUser = () => {
    if (!userName) throw new Error('body.user is required');
    return cloud.user(userName);
  };
  const ok = (value: unknown) => ({ status: 200, body: value });
  const phone = await phoneCall(cloud, `${method} ${path}`, body);
  if (phone !== undefined) return ok(phone);
  const calls = await callsControl(cloud, `${method} ${path}`, body);
  if (calls !== undefined) return calls;
  switch (`${method} ${path}`) {
    case 'GET /info':
      return ok({ url: cloud.url, appid: cloud.appid, envId: cloud.envId });
    case 'POST /users':
      return ok(
        cloud.user(String(body.user), {
          unionid: body.unionid === true,
          ...(typeof body.phoneNumber === 'string' ? { phoneNumber: body.phoneNumber } : {}),
          ...(typeof body.riskRank === 'number' ? { riskRank: body.riskRank } : {}),
        }),
      );
    case 'POST /wx/expireSession':
      cloud.wechat.expireSession(needUser().openid);
      return ok({});
    case 'POST /wx/phoneNumber':
      return ok(cloud.phoneNumberDetail(needUser().name));
    case 'POST /functions/env':
      cloud.runtime.setFunctionEnv(String(body.name), stringRecord(body.env));
      return ok({});
    case 'POST /faults': {
      // Checked in full before any is injected, so a bad request injects nothing.
      const specs: FaultSpec[] = [];
      if (body.fault !== undefined) specs.push(cloud.faults.parse(body.fault));
      if (body.database) specs.push(cloud.faults.parse(databaseFaultSpec(body.database)));
      if (body.wechat) specs.push(cloud.faults.parse(weChatFaultSpec(body.wechat as Fault)));
      if (body.cloudCall) specs.push(cloud.faults.parse(cloudCallFaultSpec(body.cloudCall as CloudCallFault)));
      for (const spec of specs) cloud.injectFault(spec);
      return ok({});
    }
    case 'GET /faults':
      return ok(cloud.pendingFaults());
    case 'DELETE /faults':
      cloud.clearFaults(typeof body.openid === 'string' ? { openid: body.openid } : {});
      return ok({});
    case 'GET /faults/held':
      return ok(cloud.heldCalls());
    case 'POST /faults/release':
      return ok({ released: cloud.releaseHeld(typeof body.seq === 'number' ? body.seq : undefined) });
    case 'GET /calls':
      return ok(cloud.recordedCalls());
    case 'DELETE /calls':
      cloud.clearRecordedCalls();
      return ok({});
    case 'POST /latency':
      cloud.setLatency({
        ...(typeof body.databaseMs === 'number' ? { databaseMs: body.databaseMs } : {}),
        ...(typeof body.wechatMs === 'number' ? { wechatMs: body.wechatMs } : {}),
        ...(typeof body.callFunctionMs === 'number' ? { callFunctionMs: body.callFunctionMs } : {}),
      });
      return ok(cloud.latency());
    case 'GET /stats':
      return ok(cloud.stats());
    case 'POST /stats/reset':
      cloud.resetStats();
      return ok({});
    case 'GET /logs':
      return ok(cloud.logs);
    default: {
      const collection = /^\/db\/([A-Za-z0-9_-]+)$/.exec(path);
      if (method === 'GET' && collection) return ok(await cloud.documents(collection[1]!));
      return { status: 404, body: { code: 'NOT_FOUND', message: `${method} ${path}` } };
    }
  }
}
