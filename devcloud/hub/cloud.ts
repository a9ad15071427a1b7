/**
 * The local cloud, composed: one of each wing (database, rules, storage, functions, WeChat), one fault model they
 * all run their calls through, the simulated users, and what devcloud keeps for inspection (invocations, logs,
 * changes). It emulates nothing itself; hub/start.ts serves it over HTTP.
 */
import type * as http from 'http';
import { join, resolve } from 'path';
import { DATABASE_ACTIONS, DevDatabase } from '../database';
import { cloudCallFaultSpec, databaseFaultSpec, DEVICE_ACTIONS, FaultInjector } from '../faults';
import { FunctionRuntime, INVOKE_FUNCTION_ACTION, TimerScheduler } from '../functions';
import type {
  CloudCallFault,
  DatabaseFault,
  DevCloudStats,
  Fault,
  FaultSpec,
  FaultTarget,
  HeldCall,
  FunctionLogLine,
  InvocationContext,
  InvocationReport,
  Latency,
  PhoneNumberDetail,
  RecordedCall,
  SessionKeyRotation,
  SimulatedUser,
} from '../protocol';
import { SecurityRules } from '../rules';
import { DevStorage, STORAGE_ACTIONS } from '../storage';
import {
  DevOpenApi,
  OpenDataIssuer,
  openidFor,
  Outbox,
  registerCloudCallFakes,
  SubscriptionStore,
  unionidFor,
  WECHAT_APIS,
  WeChatFake,
} from '../wechat';
import { CLOUD_CALL_OPEN_DATA, CloudBaseEndpoint, type CloudApiReply } from './cloudbase';
import { InvocationHistory } from './invocations';
import { ChangeFeed } from './live';
import { projectRulesDir } from './project';

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

export type ResolvedOptions = Required<Pick<DevCloudOptions, 'appid' | 'envId' | 'appSecret' | 'functionsDir'>> &
  DevCloudOptions;

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
  readonly logs: FunctionLogLine[] = [];
  /** Every invocation, with its event, result and log lines (the newest 500): what the console shows. */
  readonly invocations: InvocationHistory;
  /** Changes made through the control API, for the console's live stream. */
  readonly changes = new ChangeFeed();
  /** The CloudBase API the functions' SDK calls. */
  readonly cloudbase: CloudBaseEndpoint;
  /** Added to every database call (ms), to model the distance between a function and the database. */
  databaseLatencyMs = 0;
  /** Added to every callFunction (ms), half each way: the phone's round trip to the cloud. */
  callFunctionLatencyMs = 0;
  private readonly users = new Map<string, SimulatedUser>();
  private peakRss = 0;
  private readonly rssTimer: NodeJS.Timeout;

  constructor(
    readonly url: string,
    private readonly server: http.Server,
    options: ResolvedOptions,
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
      knowsOpenid: (openid) => this.userWithOpenid(openid) !== undefined,
      phoneNumberFor: (code, openid) => this.wechat.phoneNumberFor(code, openid).body,
      riskRankOf: (openid) => this.userWithOpenid(openid)?.riskRank ?? 0,
    });
    this.timers = new TimerScheduler({
      configs: this.runtime.configs,
      appid: this.appid,
      invoke: (functionName, event, context) => this.runtime.invoke(functionName, event, context),
    });
    this.cloudbase = new CloudBaseEndpoint({
      appid: this.appid,
      database: this.database,
      storage: this.storage,
      openapi: this.openapi,
      runtime: this.runtime,
      faults: this.faults,
      databaseLatencyMs: () => this.databaseLatencyMs,
    });
    this.rssTimer = setInterval(() => (this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss)), 50);
    this.rssTimer.unref();
  }

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
    if (target === 'cloudCall') return action === CLOUD_CALL_OPEN_DATA || this.openapi.knows(action);
    return this.faultActions()[target].includes(action);
  }

  /** Documents of a collection as plain JSON (dates as ISO strings), sorted by _id. */
  async documents(collection: string): Promise<Array<Record<string, unknown>>> {
    return JSON.parse(JSON.stringify(await this.database.dump(collection))) as Array<Record<string, unknown>>;
  }

  stats(): DevCloudStats {
    return {
      functions: { ...this.runtime.stats },
      database: this.cloudbase.databaseStats(),
      wechat: { ...this.wechat.calls },
      devcloudRssBytes: Math.max(this.peakRss, process.memoryUsage().rss),
    };
  }

  resetStats(): void {
    this.cloudbase.resetStats();
    for (const key of Object.keys(this.wechat.calls) as Array<keyof typeof this.wechat.calls>)
      this.wechat.calls[key] = 0;
    this.runtime.stats.invocations = 0;
    this.runtime.stats.coldStarts = 0;
  }

  /**
   * One CloudBase API request from a function's SDK (hub/cloudbase.ts). Throws DroppedConnection when a fault says
   * the connection is to be destroyed without a reply.
   */
  handleCloudApi(
    functionName: string | undefined,
    instanceId: number | undefined,
    contentType: string | undefined,
    raw: Buffer,
  ): Promise<CloudApiReply> {
    return this.cloudbase.handle(functionName, instanceId, contentType, raw);
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
}

/** The rulesDir option's rules (a wrong file throws RulesFileError): the folder, the project's if any, or none. */
function loadRules(rulesDir: string | false | undefined): SecurityRules {
  const dir = rulesDir === false ? undefined : (rulesDir ?? projectRulesDir());
  return dir === undefined ? SecurityRules.none() : SecurityRules.load(resolve(dir));
}
