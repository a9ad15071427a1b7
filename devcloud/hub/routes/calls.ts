/**
 * Cloud calls, timer triggers and subscription messages: the outbox of what devcloud's WeChat delivered, canned
 * replies for cloud calls devcloud has no fake of, the timer triggers, and how simulated users answer subscription
 * requests. A request that is wrong answers 400 `{code: 'INVALID_ARGUMENT', message}` and changes nothing.
 */
import { FunctionConfigError, TriggerNotFound } from '../../functions';
import type { OpenApiFixture, SubscribeDecision } from '../../protocol';
import { SUBSCRIBE_DECISIONS } from '../../wechat';
import { badRequest, RouteError, type RouteGroup } from '../router';

function isDecision(value: unknown): value is SubscribeDecision {
  return typeof value === 'string' && (SUBSCRIBE_DECISIONS as readonly string[]).includes(value);
}

export const CALLS_ROUTES: RouteGroup = {
  title: 'Cloud calls, triggers and subscription messages',
  intro:
    'What the functions\' cloud calls did and what devcloud answers them with (see "Cloud calls, callFunction, ' +
    'timers and function config" above). A wrong request answers 400 `{code: "INVALID_ARGUMENT", message}` and ' +
    'changes nothing.',
  onDropped: 'close',
  routes: [
    {
      method: 'GET',
      path: '/outbox',
      answers:
        "what devcloud's WeChat delivered (subscription and customer-service messages, check results, links), oldest first",
      run: async (cloud) => cloud.outbox.list(),
    },
    {
      method: 'DELETE',
      path: '/outbox',
      answers: '`{}`',
      run: async (cloud) => {
        cloud.outbox.clear();
        return {};
      },
    },
    {
      method: 'POST',
      path: '/openapi/fixtures',
      takes: '`{api, reply}` or `{api, binary: {contentType, base64}}`',
      answers:
        'the fixtures set, by API: from now on `api` is answered with it (after the config.json permission check)',
      run: async (cloud, { body }) => {
        const fixture: OpenApiFixture | undefined =
          body.binary !== undefined
            ? { binary: body.binary as { contentType: string; base64: string } }
            : body.reply !== undefined
              ? { reply: body.reply as Record<string, unknown> }
              : undefined;
        if (!fixture) throw badRequest('give the reply: {api, reply: {...}} or {api, binary: {contentType, base64}}');
        try {
          cloud.openapi.setFixture(body.api as string, fixture);
        } catch (error) {
          if (error instanceof TypeError) throw badRequest(error.message);
          throw error;
        }
        return cloud.openapi.listFixtures();
      },
    },
    {
      method: 'GET',
      path: '/openapi/fixtures',
      answers: 'the fixtures set, by API',
      run: async (cloud) => cloud.openapi.listFixtures(),
    },
    {
      method: 'DELETE',
      path: '/openapi/fixtures',
      takes: '`{api?}`',
      answers: '`{}`: drops one fixture, or all',
      run: async (cloud, { body }) => {
        cloud.openapi.clearFixtures(typeof body.api === 'string' ? body.api : undefined);
        return {};
      },
    },
    {
      method: 'GET',
      path: '/openapi/calls',
      answers:
        'every cloud call answered or refused: `[{seq, at, api, functionName, openid?, data, answeredBy, errcode}]`',
      run: async (cloud) => cloud.openapi.recordedCalls(),
    },
    {
      method: 'DELETE',
      path: '/openapi/calls',
      answers: '`{}`',
      run: async (cloud) => {
        cloud.openapi.clearRecordedCalls();
        return {};
      },
    },
    {
      method: 'GET',
      path: '/functions/triggers',
      answers:
        '`{triggers: [{functionName, name, config, next?}], firings: [...]}`: the timer triggers config.json declares',
      run: async (cloud) => ({ triggers: await cloud.timers.list(), firings: cloud.timers.firings() }),
    },
    {
      method: 'POST',
      path: '/functions/trigger',
      takes: '`{name, trigger?}`',
      answers:
        'the firing `{functionName, triggerName, time, manual, requestId, result | error, durationMs}`: fires a ' +
        'timer trigger now (404 when the function declares no such trigger)',
      run: async (cloud, { body }) => {
        if (typeof body.name !== 'string' || body.name === '') throw badRequest('body.name (the function) is required');
        if (body.trigger !== undefined && typeof body.trigger !== 'string') throw badRequest('body.trigger is a name');
        try {
          return await cloud.timers.fireNow(body.name, body.trigger);
        } catch (error) {
          if (error instanceof TriggerNotFound) throw new RouteError(404, error.code, error.message);
          if (error instanceof FunctionConfigError) throw badRequest(error.message);
          throw error;
        }
      },
    },
    {
      method: 'POST',
      path: '/subscribeMessage/decisions',
      takes: '`{user, templates: {<id>: accept | reject | ban | filter}, otherwise?}`',
      answers: '`{remaining: {<template id>: count}}`: how the user answers `wx.requestSubscribeMessage` from now on',
      run: async (cloud, { body }) => {
        if (typeof body.user !== 'string' || body.user === '') throw badRequest('body.user is required');
        const templates = body.templates ?? {};
        if (typeof templates !== 'object' || templates === null || Array.isArray(templates))
          throw badRequest('body.templates is {<template id>: accept|reject|ban|filter}');
        const entries = Object.entries(templates as Record<string, unknown>);
        if (!entries.every(([, decision]) => isDecision(decision)))
          throw badRequest(`each template's decision is one of ${SUBSCRIBE_DECISIONS.join(', ')}`);
        if (body.otherwise !== undefined && !isDecision(body.otherwise))
          throw badRequest(`body.otherwise is one of ${SUBSCRIBE_DECISIONS.join(', ')}`);
        const { openid } = cloud.user(body.user);
        cloud.subscriptions.configure(
          openid,
          Object.fromEntries(entries) as Record<string, SubscribeDecision>,
          body.otherwise,
        );
        return { remaining: cloud.subscriptions.remaining(openid) };
      },
    },
  ],
};
