import { controlRequest } from './http';
import type {
  CloudCallFault,
  CollectionView,
  DatabaseFault,
  DevCloudStats,
  DocumentPage,
  ExportEntry,
  Fault,
  FaultSpec,
  FileView,
  HeldCall,
  InvocationPage,
  InvocationReport,
  Latency,
  LoginAsAnswer,
  OpenApiCallRecord,
  OpenApiFixture,
  OutboxEntry,
  PhoneNumberDetail,
  RecordedCall,
  ScheduledTrigger,
  SimulatedUser,
  SubscribeDecision,
  TriggerFiring,
  UserView,
  WeChatStateView,
  WxError,
} from '../protocol';

/**
 * A typed client of devcloud's control API (/devcloud/...). Tests, the journey and the benchmark use this, so
 * they work the same whether devcloud runs in their process or in another one.
 */
export class DevCloudControl {
  constructor(readonly url: string) {}

  info(): Promise<{ url: string; appid: string; envId: string }> {
    return this.call('GET', '/info');
  }

  user(
    name: string,
    options: { unionid?: boolean; phoneNumber?: string; riskRank?: number } = {},
  ): Promise<SimulatedUser> {
    return this.call('POST', '/users', { user: name, ...options });
  }

  /** A wx.login code for the user, as the WeChat client on their phone would get it. */
  loginCode(user: string): Promise<string> {
    return this.call<{ code?: string; error?: WxError }>('POST', '/wx/login', { user }).then((reply) => {
      if (reply.error || reply.code === undefined) throw new Error(reply.error?.errMsg ?? 'login:fail no code');
      return reply.code;
    });
  }

  expireSession(user: string): Promise<void> {
    return this.call('POST', '/wx/expireSession', { user });
  }

  /** Invoke a function as `user` would from the mini-program; without a user, with no WeChat identity. */
  invoke(name: string, event: unknown, user?: string): Promise<InvocationReport> {
    return this.call('POST', '/functions/invoke', { name, event, ...(user === undefined ? {} : { user }) });
  }

  /**
   * Sets environment variables of a function (merged over its current ones), e.g. { CONSENT_VERSION: '2' }, as the
   * CloudBase console does: instances started afterwards see them.
   */
  setFunctionEnv(name: string, env: Record<string, string>): Promise<void> {
    return this.call('POST', '/functions/env', { name, env });
  }

  documents<T = Record<string, unknown>>(collection: string): Promise<T[]> {
    return this.call('GET', `/db/${collection}`);
  }

  injectWeChatFault(fault: Fault): Promise<void> {
    return this.call('POST', '/faults', { wechat: fault });
  }

  injectCloudCallFault(fault: CloudCallFault): Promise<void> {
    return this.call('POST', '/faults', { cloudCall: fault });
  }

  /** What the getPhoneNumber button hands a page for this user: a code and the legacy open data. */
  phoneNumberDetail(user: string): Promise<PhoneNumberDetail> {
    return this.call('POST', '/wx/phoneNumber', { user });
  }

  injectDatabaseFault(fault: DatabaseFault = {}): Promise<void> {
    return this.call('POST', '/faults', { database: fault });
  }

  /** Fail calls of any kind (see FaultSpec in devcloud/faults.ts); a wrong spec is refused with HTTP 400. */
  injectFault(fault: FaultSpec): Promise<void> {
    return this.call('POST', '/faults', { fault });
  }

  /** Faults not used up yet, with the skip and times they have left: empty once every fault has acted. */
  pendingFaults(): Promise<FaultSpec[]> {
    return this.call('GET', '/faults');
  }

  /** Drops every pending fault, or only those scoped to one user's calls (`match.openid`); releases held calls. */
  clearFaults(filter: { openid?: string } = {}): Promise<void> {
    return this.call('DELETE', '/faults', filter);
  }

  /** Calls a `mode: 'hold'` fault keeps waiting, in order of arrival. */
  heldCalls(): Promise<HeldCall[]> {
    return this.call('GET', '/faults/held');
  }

  /** Lets held calls go on: the one with this seq, or all of them; answers how many were released. */
  async releaseHeld(seq?: number): Promise<number> {
    const reply: { released: number } = await this.call('POST', '/faults/release', seq === undefined ? {} : { seq });
    return reply.released;
  }

  /** Every call functions and phones made, in order of arrival (the newest 10,000). */
  recordedCalls(): Promise<RecordedCall[]> {
    return this.call('GET', '/calls');
  }

  clearRecordedCalls(): Promise<void> {
    return this.call('DELETE', '/calls');
  }

  /** Modelled distances in ms per call (database, WeChat, the phone's callFunction round trip); answers all three. */
  setLatency(latency: Partial<Latency>): Promise<Latency> {
    return this.call('POST', '/latency', latency);
  }

  stats(): Promise<DevCloudStats> {
    return this.call('GET', '/stats');
  }

  resetStats(): Promise<void> {
    return this.call('POST', '/stats/reset');
  }

  logs(): Promise<Array<{ functionName: string; line: string }>> {
    return this.call('GET', '/logs');
  }

  // ---- Cloud calls, triggers and subscription messages (calls-control.ts) ----

  /** What devcloud's WeChat delivered (messages, content-check results, links), oldest first. */
  async outbox(filter: { kind?: OutboxEntry['kind']; touser?: string } = {}): Promise<OutboxEntry[]> {
    const entries = await this.call<OutboxEntry[]>('GET', '/outbox');
    return entries.filter(
      (entry) =>
        (filter.kind === undefined || entry.kind === filter.kind) &&
        (filter.touser === undefined || entry.touser === filter.touser),
    );
  }

  clearOutbox(): Promise<void> {
    return this.call('DELETE', '/outbox');
  }

  /** Answers cloud call `api` with `fixture` from now on (after the config.json permission check). */
  setOpenApiFixture(api: string, fixture: OpenApiFixture): Promise<Record<string, OpenApiFixture>> {
    return this.call('POST', '/openapi/fixtures', { api, ...fixture });
  }

  clearOpenApiFixtures(api?: string): Promise<void> {
    return this.call('DELETE', '/openapi/fixtures', api === undefined ? {} : { api });
  }

  /** Every cloud call devcloud answered or refused, with its data and errcode. */
  openApiCalls(): Promise<OpenApiCallRecord[]> {
    return this.call('GET', '/openapi/calls');
  }

  /** The timer triggers config.json declares (with their next firing) and the firings so far. */
  triggers(): Promise<{ triggers: ScheduledTrigger[]; firings: TriggerFiring[] }> {
    return this.call('GET', '/functions/triggers');
  }

  /** Fires a function's timer trigger now (the only one when `trigger` is left out). */
  fireTrigger(name: string, trigger?: string): Promise<TriggerFiring> {
    return this.call('POST', '/functions/trigger', { name, ...(trigger === undefined ? {} : { trigger }) });
  }

  /** How `user` answers wx.requestSubscribeMessage from now on, per template (and for the rest: `otherwise`). */
  subscribeDecisions(
    user: string,
    templates: Record<string, SubscribeDecision>,
    otherwise?: SubscribeDecision,
  ): Promise<{ remaining: Record<string, number> }> {
    return this.call('POST', '/subscribeMessage/decisions', {
      user,
      templates,
      ...(otherwise === undefined ? {} : { otherwise }),
    });
  }

  // ---- what devcloud's console uses (console-api.ts) ----------------------------------------------------------

  /** The invocation history (the newest 500), oldest first: those started after `afterSeq`. */
  invocations(afterSeq = 0): Promise<InvocationPage> {
    return this.call('GET', `/invocations?after=${afterSeq}`);
  }

  /** Every simulated user with their WeChat session (never the key) and the claims of their last token. */
  simulatedUsers(): Promise<UserView[]> {
    return this.call('GET', '/users');
  }

  /** "Log in as": the user's phone calls wx.login (unless withCode is false), then the login function. */
  logInAs(user: string, options: { withCode?: boolean; functionName?: string } = {}): Promise<LoginAsAnswer> {
    return this.call('POST', '/users/login', { user, ...options });
  }

  /** The WeChat fake's codes, sessions (key versions only), rotations and calls, newest first. */
  weChatState(): Promise<WeChatStateView> {
    return this.call('GET', '/wechat');
  }

  storedFiles(): Promise<FileView[]> {
    return this.call('GET', '/storage/files');
  }

  collections(): Promise<CollectionView[]> {
    return this.call('GET', '/collections');
  }

  /** A page of a collection's documents (relaxed Extended JSON, secrets redacted), optionally searched. */
  findDocuments(
    collection: string,
    options: { search?: string; limit?: number; offset?: number } = {},
  ): Promise<DocumentPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options)) if (value !== undefined) query.set(key, String(value));
    return this.call('GET', `/collections/${encodeURIComponent(collection)}/documents?${query.toString()}`);
  }

  /** Inserts a document (relaxed Extended JSON) as a database call; a duplicate _id is refused (HTTP 409). */
  insertDocument(collection: string, document: Record<string, unknown>): Promise<{ _id: string }> {
    return this.call('POST', `/collections/${encodeURIComponent(collection)}/documents`, { document });
  }

  /** Replaces an existing document, keeping the stored values where the document holds {"$redacted"} markers. */
  replaceDocument(collection: string, id: string, document: Record<string, unknown>): Promise<{ updated: number }> {
    return this.call('PUT', `/collections/${encodeURIComponent(collection)}/documents/${encodeURIComponent(id)}`, {
      document,
    });
  }

  removeDocument(collection: string, id: string): Promise<{ deleted: number }> {
    return this.call('DELETE', `/collections/${encodeURIComponent(collection)}/documents/${encodeURIComponent(id)}`);
  }

  /** The collection files an export holds (GET /devcloud/export/<file> downloads one). */
  exportEntries(): Promise<ExportEntry[]> {
    return this.call('GET', '/export');
  }

  /** Imports `<collection>.json` files (`--import`'s format) in one transaction: all or nothing. */
  importFiles(files: Array<{ name: string; text: string }>): Promise<{ imported: Record<string, number> }> {
    return this.call('POST', '/import', { files });
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return controlRequest<T>(this.url, method, path, body);
  }
}
