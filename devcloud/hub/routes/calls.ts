/**
 * The control-API routes of cloud calls, function triggers and subscription messages (mounted under /devcloud):
 *
 *   GET    /outbox                       what devcloud's WeChat delivered (messages, check results, links)
 *   DELETE /outbox
 *   POST   /openapi/fixtures             {api, reply} or {api, binary: {contentType, base64}}: a canned reply
 *   GET    /openapi/fixtures             the fixtures set, by API
 *   DELETE /openapi/fixtures             {api?}: one fixture, or all
 *   GET    /openapi/calls                every cloud call answered (api, function, user, data, errcode)
 *   DELETE /openapi/calls
 *   GET    /functions/triggers           {triggers: [{functionName, name, config, next}], firings: [...]}
 *   POST   /functions/trigger            {name, trigger?}: fire a timer trigger now; answers the firing
 *   POST   /subscribeMessage/decisions   {user, templates: {<id>: accept|reject|ban|filter}, otherwise?}
 *   POST   /wx/requestSubscribeMessage   {user, tmplIds}: the phone's wx.requestSubscribeMessage (device target)
 *
 * A request that is wrong answers HTTP 400 `{code: 'INVALID_ARGUMENT', message}` and changes nothing.
 */
import { FunctionConfigError } from '../../functions/config';
import type { DevCloud } from '../server';
import { SUBSCRIBE_DECISIONS, SubscribeRequestError } from '../../wechat/subscriptions';
import { TriggerNotFound } from '../../functions/timers';
import { type OpenApiFixture, type SubscribeDecision, wxError, type WxError } from '../../protocol';

export interface ControlReply {
  status: number;
  body: unknown;
}

const invalid = (message: string): ControlReply => ({ status: 400, body: { code: 'INVALID_ARGUMENT', message } });
const ok = (body: unknown): ControlReply => ({ status: 200, body });

function isDecision(value: unknown): value is SubscribeDecision {
  return typeof value === 'string' && (SUBSCRIBE_DECISIONS as readonly string[]).includes(value);
}

/** Answers one of the routes above, or undefined when `route` ('METHOD /path') is not one of them. */
export async function callsControl(
  cloud: DevCloud,
  route: string,
  body: Record<string, unknown>,
): Promise<ControlReply | undefined> {
  const userName = typeof body.user === 'string' && body.user !== '' ? body.user : undefined;
  switch (route) {
    case 'GET /outbox':
      return ok(cloud.outbox.list());
    case 'DELETE /outbox':
      cloud.outbox.clear();
      return ok({});
    case 'POST /openapi/fixtures': {
      const fixture: OpenApiFixture | undefined =
        body.binary !== undefined
          ? { binary: body.binary as { contentType: string; base64: string } }
          : body.reply !== undefined
            ? { reply: body.reply as Record<string, unknown> }
            : undefined;
      if (!fixture) return invalid('give the reply: {api, reply: {...}} or {api, binary: {contentType, base64}}');
      try {
        cloud.openapi.setFixture(body.api as string, fixture);
      } catch (error) {
        if (error instanceof TypeError) return invalid(error.message);
        throw error;
      }
      return ok(cloud.openapi.listFixtures());
    }
    case 'GET /openapi/fixtures':
      return ok(cloud.openapi.listFixtures());
    case 'DELETE /openapi/fixtures':
      cloud.openapi.clearFixtures(typeof body.api === 'string' ? body.api : undefined);
      return ok({});
    case 'GET /openapi/calls':
      return ok(cloud.openapi.recordedCalls());
    case 'DELETE /openapi/calls':
      cloud.openapi.clearRecordedCalls();
      return ok({});
    case 'GET /functions/triggers':
      return ok({ triggers: await cloud.timers.list(), firings: cloud.timers.firings() });
    case 'POST /functions/trigger': {
      if (typeof body.name !== 'string' || body.name === '') return invalid('body.name (the function) is required');
      if (body.trigger !== undefined && typeof body.trigger !== 'string') return invalid('body.trigger is a name');
      try {
        return ok(await cloud.timers.fireNow(body.name, body.trigger));
      } catch (error) {
        if (error instanceof TriggerNotFound)
          return { status: 404, body: { code: error.code, message: error.message } };
        if (error instanceof FunctionConfigError) return invalid(error.message);
        throw error;
      }
    }
    case 'POST /subscribeMessage/decisions': {
      if (!userName) return invalid('body.user is required');
      const templates = body.templates ?? {};
      if (typeof templates !== 'object' || templates === null || Array.isArray(templates))
        return invalid('body.templates is {<template id>: accept|reject|ban|filter}');
      const entries = Object.entries(templates as Record<string, unknown>);
      if (!entries.every(([, decision]) => isDecision(decision)))
        return invalid(`each template's decision is one of ${SUBSCRIBE_DECISIONS.join(', ')}`);
      if (body.otherwise !== undefined && !isDecision(body.otherwise))
        return invalid(`body.otherwise is one of ${SUBSCRIBE_DECISIONS.join(', ')}`);
      const { openid } = cloud.user(userName);
      cloud.subscriptions.configure(
        openid,
        Object.fromEntries(entries) as Record<string, SubscribeDecision>,
        body.otherwise,
      );
      return ok({ remaining: cloud.subscriptions.remaining(openid) });
    }
    case 'POST /wx/requestSubscribeMessage': {
      if (!userName) return invalid('body.user is required');
      const { openid } = cloud.user(userName);
      const reply = await cloud.faults.run<{ result?: Record<string, string>; error?: WxError }>(
        { target: 'device', action: 'requestSubscribeMessage', openid },
        {
          apply: async () => {
            try {
              return { result: cloud.subscriptions.request(openid, body.tmplIds) };
            } catch (error) {
              if (!(error instanceof SubscribeRequestError)) throw error;
              return { error: { errCode: error.errCode, errMsg: `requestSubscribeMessage:fail ${error.message}` } };
            }
          },
          refuse: (code) => ({
            error: wxError('requestSubscribeMessage', typeof code === 'number' ? code : -1, 'devcloud: injected error'),
          }),
          outcomeOf: (answer) => (answer.error ? 'error' : 'ok'),
        },
      );
      return ok(reply);
    }
    default:
      return undefined;
  }
}
