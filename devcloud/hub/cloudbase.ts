/**
 * The CloudBase endpoint wx-server-sdk talks to: `POST /fn/<function>/i/<instance>/admin`, one URL per function
 * instance, so that a call knows whose invocation makes it; and `POST /admin`, where @cloudbase/node-sdk outside
 * any function (a developer's own server, a script) sends its calls, with no function and no user. It routes each
 * call to its wing (database, storage, cloud calls, callFunction) through the fault model, and counts database
 * round trips for the stats.
 */
import { randomUUID } from 'crypto';
import type { DevDatabase } from '../database';
import type { FaultInjector } from '../faults';
import { withLatency } from '../faults/latency';
import {
  calleeContext,
  type FunctionRuntime,
  INVOKE_FUNCTION_ACTION,
  invokeFunctionReply,
  parseInvokeFunction,
} from '../functions';
import type { OutboundCall } from '../protocol';
import type { DevStorage, StorageCaller } from '../storage';
import {
  cloudCallRefusal,
  type DevOpenApi,
  isOpenApiRequest,
  OPEN_DATA_API,
  OPENAPI_ERROR,
  openApiErrorReply,
  openApiNameOf,
  type OpenApiReply,
} from '../wechat';
import { BODY_LIMITS } from '../http/body';

/** getOpenData's name in faults and the call record (on the wire its apiName is ApiGetOpenDataByCloudId). */
export const CLOUD_CALL_OPEN_DATA = 'getOpenData';

/** The code a service answers an injected 'error' with when the fault names none. */
const DEFAULT_SERVICE_CODE = { database: 'DATABASE_REQUEST_FAILED', storage: 'STORAGE_REQUEST_FAIL' } as const;

export interface CloudApiReply {
  status: number;
  type: string;
  body: Buffer | string;
  outcome: 'ok' | 'error';
}

export interface CloudBaseEndpointOptions {
  appid: string;
  database: DevDatabase;
  storage: DevStorage;
  openapi: DevOpenApi;
  runtime: FunctionRuntime;
  faults: FaultInjector;
  /** Modelled time per database call (ms), read at each call. */
  databaseLatencyMs: () => number;
}

export class CloudBaseEndpoint {
  private dbCalls: Record<string, number> = {};
  private dbInFlight = 0;
  private dbSequentialTrips = 0;

  constructor(private readonly options: CloudBaseEndpointOptions) {}

  /** Database calls by action, and the stretches of time with one in flight. */
  databaseStats(): { roundTrips: number; sequentialTrips: number; byAction: Record<string, number> } {
    const byAction = { ...this.dbCalls };
    const roundTrips = Object.values(byAction).reduce((sum, n) => sum + n, 0);
    return { roundTrips, sequentialTrips: this.dbSequentialTrips, byAction };
  }

  resetStats(): void {
    this.dbCalls = {};
    this.dbSequentialTrips = 0;
  }

  /**
   * One request from a function's SDK, or (no `functionName`) from node-sdk outside any function. Throws
   * DroppedConnection when a fault says the connection is to be destroyed without a reply.
   */
  async handle(
    functionName: string | undefined,
    instanceId: number | undefined,
    contentType: string | undefined,
    raw: Buffer,
  ): Promise<CloudApiReply> {
    const { faults, runtime, openapi, storage } = this.options;
    const openid = instanceId === undefined ? undefined : runtime.callerOf(instanceId)?.OPENID;
    const caller: StorageCaller = { ...(functionName ? { functionName } : {}), ...(openid ? { openid } : {}) };
    if (isOpenApiRequest(contentType)) {
      const apiName = openApiNameOf(contentType, raw);
      const action = apiName === OPEN_DATA_API ? CLOUD_CALL_OPEN_DATA : (apiName ?? '');
      return faults.run(
        { target: 'cloudCall', action, ...caller },
        {
          apply: async () =>
            openApiHttp(
              // Cloud calls are a function's, by its config.json permissions: outside any function there are none.
              functionName === undefined
                ? cloudCallRefusal(OPENAPI_ERROR.NO_PERMISSION)
                : await openapi.handle(functionName, contentType ?? '', raw, openid ? { openid } : {}),
            ),
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
    return faults.run(call, {
      apply: async () => {
        try {
          const fields =
            target === 'database' ? await this.databaseCall(action, body) : await storage.handle(action, body, caller);
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
   * cloud.callFunction inside a function (functions/call-function.ts): the callee runs for the caller's user, with
   * SOURCE '<caller's SOURCE>,scf'; recorded and faultable as target 'functions' (callee: the function called).
   */
  private invokeFromFunction(
    functionName: string | undefined,
    instanceId: number | undefined,
    body: Record<string, unknown>,
    requestId: string,
  ): Promise<CloudApiReply> {
    const { faults, runtime, appid } = this.options;
    const caller = instanceId === undefined ? undefined : runtime.callerOf(instanceId);
    const request = parseInvokeFunction(body);
    const call: OutboundCall = { target: 'functions', action: INVOKE_FUNCTION_ACTION };
    if (functionName) call.functionName = functionName;
    if (typeof request !== 'string') call.callee = request.functionName;
    if (caller?.OPENID) call.openid = caller.OPENID;
    return faults.run(call, {
      apply: async () => {
        if (typeof request === 'string') return serviceReply(requestId, { code: 'INVALID_PARAM', message: request });
        // The event of a function is at most 6 MB, whoever calls it.
        if (typeof body.request_data === 'string' && Buffer.byteLength(body.request_data) > BODY_LIMITS.functionEvent)
          return serviceReply(requestId, {
            code: 'EXCEED_MAX_PAYLOAD_SIZE',
            message: `the event is over ${BODY_LIMITS.functionEvent} bytes`,
          });
        const report = await runtime.invoke(request.functionName, request.event, calleeContext(caller, appid));
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
      return await withLatency(this.options.databaseLatencyMs(), () => this.options.database.handle(action, body));
    } finally {
      this.dbInFlight -= 1;
    }
  }
}

/** A CloudBase JSON reply: `{requestId, ...fields}`, an error when it carries a code. */
export function serviceReply(requestId: string, fields: Record<string, unknown>): CloudApiReply {
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
