import type { SubscribeDecision } from '../protocol';
/**
 * One-time subscription messages (一次性订阅消息), as WeChat keeps them: a user who accepts a template in
 * `wx.requestSubscribeMessage` lets the mini-program send that template to them ONCE through
 * `subscribeMessage.send`; each acceptance adds one message, each send uses one up. Without one the send fails with
 * errcode 43101 ("user refuse to accept the msg").
 * https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/subscribe-message.html
 *
 * What the simulated user answers is configured per user and template (POST /devcloud/subscribeMessage/decisions);
 * unless told otherwise the user accepts.
 */

/** What the panel answers per template (wx.requestSubscribeMessage's success result). */
const DECISIONS: Record<SubscribeDecision, true> = { accept: true, reject: true, ban: true, filter: true };
export const SUBSCRIBE_DECISIONS = Object.keys(DECISIONS) as SubscribeDecision[];

/** wx.requestSubscribeMessage's failures (official table): errCode and the errMsg text after ':fail '. */
export const SUBSCRIBE_REQUEST_ERRORS = {
  EMPTY: { errCode: 10001, message: "TmplIds can't be empty" },
  INVALID_TEMPLATE_ID: { errCode: 10004, message: 'Invalid template id' },
  /** More templates than one call may ask for (5 since base library 2.x; the table calls it "数量超过上限"). */
  TOO_MANY: { errCode: 20003, message: 'Templates count out of max bounds' },
} as const;

/** Templates one wx.requestSubscribeMessage call may ask for. */
export const MAX_TEMPLATES_PER_REQUEST = 5;

export class SubscribeRequestError extends Error {
  constructor(
    readonly errCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'SubscribeRequestError';
  }
}

export class SubscriptionStore {
  /** openid -> template id -> what the user answers (absent: the user's default, else 'accept'). */
  private readonly decisions = new Map<string, Map<string, SubscribeDecision>>();
  private readonly defaults = new Map<string, SubscribeDecision>();
  /** openid -> template id -> messages the user has allowed and not yet received. */
  private readonly grants = new Map<string, Map<string, number>>();

  /** How the user answers the panel from now on: per template, and for templates not named (`otherwise`). */
  configure(openid: string, templates: Record<string, SubscribeDecision>, otherwise?: SubscribeDecision): void {
    const mine = this.decisions.get(openid) ?? new Map<string, SubscribeDecision>();
    for (const [template, decision] of Object.entries(templates)) mine.set(template, decision);
    this.decisions.set(openid, mine);
    if (otherwise) this.defaults.set(openid, otherwise);
  }

  /**
   * The user's answer to one wx.requestSubscribeMessage panel: per template, what they chose; each 'accept' allows
   * one more message of that template. Throws SubscribeRequestError for a request WeChat refuses.
   */
  request(openid: string, tmplIds: unknown): Record<string, SubscribeDecision> {
    if (!Array.isArray(tmplIds) || tmplIds.length === 0) throw requestError('EMPTY');
    if (!tmplIds.every((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 128))
      throw requestError('INVALID_TEMPLATE_ID');
    const unique = [...new Set(tmplIds)];
    if (unique.length > MAX_TEMPLATES_PER_REQUEST) throw requestError('TOO_MANY');
    const answers: Record<string, SubscribeDecision> = {};
    for (const template of unique) {
      const decision = this.decisions.get(openid)?.get(template) ?? this.defaults.get(openid) ?? 'accept';
      answers[template] = decision;
      if (decision === 'accept') {
        const mine = this.grants.get(openid) ?? new Map<string, number>();
        mine.set(template, (mine.get(template) ?? 0) + 1);
        this.grants.set(openid, mine);
      }
    }
    return answers;
  }

  /** Uses up one allowed message of `template` to `openid`; false when the user allowed none. */
  consume(openid: string, template: string): boolean {
    const mine = this.grants.get(openid);
    const left = mine?.get(template) ?? 0;
    if (!mine || left <= 0) return false;
    if (left === 1) mine.delete(template);
    else mine.set(template, left - 1);
    return true;
  }

  /** Messages each template may still send the user. */
  remaining(openid: string): Record<string, number> {
    return Object.fromEntries(this.grants.get(openid) ?? []);
  }
}

function requestError(kind: keyof typeof SUBSCRIBE_REQUEST_ERRORS): SubscribeRequestError {
  const { errCode, message } = SUBSCRIBE_REQUEST_ERRORS[kind];
  return new SubscribeRequestError(errCode, message);
}
