/**
 * The local cloud itself: its identity, simulated users, WeChat sessions, function environments, faults, the call
 * record, latency, stats, logs and a collection's documents.
 */
import type { CloudCallFault, Fault, FaultSpec } from '../../protocol';
import { cloudCallFaultSpec, databaseFaultSpec } from '../../faults';
import { weChatFaultSpec } from '../../wechat';
import type { RouteGroup } from '../router';

/** A JSON object's string-valued entries (an environment): anything else is dropped. */
function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

function userName(body: Record<string, unknown>): string {
  if (typeof body.user !== 'string' || body.user === '') throw new Error('body.user is required');
  return body.user;
}

export const CORE_ROUTES: RouteGroup = {
  title: 'The local cloud',
  intro:
    'A *user* is a name you choose (`"alice"`); devcloud derives a stable OPENID from it (28 characters, per appid) ' +
    'and creates the user on first use. A route that cannot run (e.g. a missing `user`) answers 500 ' +
    '`{code: "SYS_ERR", message}`.',
  onDropped: 'close',
  routes: [
    {
      method: 'GET',
      path: '/info',
      answers: '`{url, appid, envId}`',
      run: async (cloud) => ({ url: cloud.url, appid: cloud.appid, envId: cloud.envId }),
    },
    {
      method: 'POST',
      path: '/users',
      takes: '`{user, unionid?: boolean, phoneNumber?, riskRank?}`',
      answers:
        '`{name, openid, unionid?, phoneNumber, riskRank}`: creates or updates the simulated WeChat user ' +
        '(`riskRank` 0..4 is what `riskControl.getUserRiskRank` answers for them)',
      run: async (cloud, { body }) =>
        cloud.user(String(body.user), {
          unionid: body.unionid === true,
          ...(typeof body.phoneNumber === 'string' ? { phoneNumber: body.phoneNumber } : {}),
          ...(typeof body.riskRank === 'number' ? { riskRank: body.riskRank } : {}),
        }),
    },
    {
      method: 'POST',
      path: '/wx/expireSession',
      takes: '`{user}`',
      answers: "`{}`: the user's WeChat session ends",
      run: async (cloud, { body }) => {
        cloud.wechat.expireSession(cloud.user(userName(body)).openid);
        return {};
      },
    },
    {
      method: 'POST',
      path: '/wx/phoneNumber',
      takes: '`{user}`',
      answers: '`{code, encryptedData?, iv?, cloudID?}`: what `<button open-type="getPhoneNumber">` hands the page',
      run: async (cloud, { body }) => cloud.phoneNumberDetail(cloud.user(userName(body)).name),
    },
    {
      method: 'POST',
      path: '/functions/env',
      takes: '`{name, env: {<variable>: value}}`',
      answers: "`{}`: merged over the function's environment, as the CloudBase console sets it; new instances see it",
      run: async (cloud, { body }) => {
        cloud.runtime.setFunctionEnv(String(body.name), stringRecord(body.env));
        return {};
      },
    },
    {
      method: 'POST',
      path: '/faults',
      takes: '`{fault: {target, mode, match?, skip?, times?, code?, delayMs?}}`',
      answers:
        '`{}`: fail calls. `target`: `database`, `storage`, `wechat`, `cloudCall`, `functions` or `device`; `mode`: ' +
        "`error` (the service's own error reply, nothing applied), `reset` (connection destroyed before anything is " +
        'applied), `lost` (applied, then the connection destroyed), `delay` (answered after `delayMs`) or `hold` ' +
        '(answered once released: a test orders calls by events, not by how long a delay lasts on a busy machine); ' +
        '`match` narrows to an `action`, ' +
        '`collection`, `functionName`, `callee` (target `functions`) or `openid`. What each mode looks like through ' +
        'the SDK is described at the top of `faults/index.ts`. A wrong spec answers 400 `{code: "INVALID_FAULT"}` ' +
        'and injects nothing. The older `{wechat: {api, errcode?, delayMs?, times?}}`, `{cloudCall: {api, errcode, ' +
        'times?}}` and `{database: {times?, skip?, code?}}` still work',
      run: async (cloud, { body }) => {
        // Checked in full before any is injected, so a bad request injects nothing.
        const specs: FaultSpec[] = [];
        if (body.fault !== undefined) specs.push(cloud.faults.parse(body.fault));
        if (body.database) specs.push(cloud.faults.parse(databaseFaultSpec(body.database)));
        if (body.wechat) specs.push(cloud.faults.parse(weChatFaultSpec(body.wechat as Fault)));
        if (body.cloudCall) specs.push(cloud.faults.parse(cloudCallFaultSpec(body.cloudCall as CloudCallFault)));
        for (const spec of specs) cloud.injectFault(spec);
        return {};
      },
    },
    {
      method: 'GET',
      path: '/faults',
      answers: 'the faults not used up yet (with the `skip` and `times` they have left)',
      run: async (cloud) => cloud.pendingFaults(),
    },
    {
      method: 'DELETE',
      path: '/faults',
      takes: '`{openid?}`',
      answers:
        "`{}`: drops every pending fault, or only those scoped to one user's calls, and releases the calls they hold",
      run: async (cloud, { body }) => {
        cloud.clearFaults(typeof body.openid === 'string' ? { openid: body.openid } : {});
        return {};
      },
    },
    {
      method: 'GET',
      path: '/faults/held',
      answers:
        'the calls a `hold` fault keeps waiting, in order of arrival: `[{seq, target, action, collection?, ' +
        'functionName?, openid?}]`',
      run: async (cloud) => cloud.heldCalls(),
    },
    {
      method: 'POST',
      path: '/faults/release',
      takes: '`{seq?}`',
      answers: '`{released}`: lets the held call with this `seq` (or all of them) go on',
      run: async (cloud, { body }) => ({
        released: cloud.releaseHeld(typeof body.seq === 'number' ? body.seq : undefined),
      }),
    },
    {
      method: 'GET',
      path: '/calls',
      answers:
        'every call functions and phones made, in order: `[{seq, target, action, collection?, functionName?, ' +
        'callee?, openid?, outcome: "ok" | "error" | "faulted", fault?}]` (the newest 10,000)',
      run: async (cloud) => cloud.recordedCalls(),
    },
    {
      method: 'DELETE',
      path: '/calls',
      answers: '`{}`: clears the record',
      run: async (cloud) => {
        cloud.clearRecordedCalls();
        return {};
      },
    },
    {
      method: 'POST',
      path: '/latency',
      takes: '`{databaseMs?, wechatMs?, callFunctionMs?}`',
      answers:
        "`{databaseMs, wechatMs, callFunctionMs}`: added to every database call, WeChat call, phone's callFunction",
      run: async (cloud, { body }) => {
        cloud.setLatency({
          ...(typeof body.databaseMs === 'number' ? { databaseMs: body.databaseMs } : {}),
          ...(typeof body.wechatMs === 'number' ? { wechatMs: body.wechatMs } : {}),
          ...(typeof body.callFunctionMs === 'number' ? { callFunctionMs: body.callFunctionMs } : {}),
        });
        return cloud.latency();
      },
    },
    {
      method: 'GET',
      path: '/stats',
      answers:
        '`{functions: {invocations, coldStarts, peakInstanceRssBytes}, database: {roundTrips, sequentialTrips, ' +
        'byAction}, wechat: {<api>: calls}, devcloudRssBytes}`',
      run: async (cloud) => cloud.stats(),
    },
    {
      method: 'POST',
      path: '/stats/reset',
      answers: '`{}`',
      run: async (cloud) => {
        cloud.resetStats();
        return {};
      },
    },
    {
      method: 'GET',
      path: '/logs',
      answers: '`[{functionName, line}]`: every line the functions wrote to stdout/stderr (the newest 10,000)',
      run: async (cloud) => cloud.logs,
    },
    {
      method: 'GET',
      path: '/db/:collection',
      answers:
        "the collection's documents, sorted by `_id`, dates as ISO strings (`[]` for a collection that does not " +
        'exist)',
      run: async (cloud, { params }) => cloud.documents(params[0]!),
    },
  ],
};
