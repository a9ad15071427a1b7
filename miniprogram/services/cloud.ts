import type {
  AccountAction,
  AccountActions,
  AccountEvent,
  CloudFunctionName,
  CloudFunctions,
  Envelope,
  ErrorCode,
} from '../../contracts';
import { messageFor } from './messages';

/** Every failure the client services raise: a contract code and the Chinese message to show for it. */
export class ClientError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = messageFor(code),
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/**
 * The only caller of wx.cloud.callFunction. Types the event and result from the shared contract, unwraps the
 * `{ok, data} | {ok, error}` envelope, and turns every failure into a ClientError.
 */
export async function callCloud<N extends CloudFunctionName>(
  name: N,
  event: CloudFunctions[N]['event'],
): Promise<CloudFunctions[N]['result']> {
  return (await invoke(name, { ...event })) as CloudFunctions[N]['result'];
}

/** One action of the `account` function, typed per action. */
export async function callAccount<A extends AccountAction>(
  action: A,
  event: AccountActions[A]['event'],
): Promise<AccountActions[A]['result']> {
  const data = { ...event, action } as AccountEvent;
  return (await invoke('account', data)) as AccountActions[A]['result'];
}

async function invoke(name: CloudFunctionName, data: Record<string, unknown>): Promise<unknown> {
  let response: { result?: unknown };
  try {
    response = await wx.cloud.callFunction({ name, data });
  } catch {
    throw new ClientError('NETWORK');
  }
  const envelope = response.result;
  if (!isEnvelope<unknown>(envelope)) throw new ClientError('BAD_RESPONSE');
  if (envelope.ok) return envelope.data;
  throw new ClientError(envelope.error.code);
}

function isEnvelope<T>(value: unknown): value is Envelope<T> {
  if (!value || typeof value !== 'object') return false;
  const candidate = value as { ok?: unknown; data?: unknown; error?: { code?: unknown } };
  if (candidate.ok === true) return 'data' in candidate;
  return candidate.ok === false && typeof candidate.error?.code === 'string';
}
