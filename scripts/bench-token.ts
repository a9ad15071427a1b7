/**
 * What a session token adds to a login: the login function's tokenSettings() (cached after the first call) plus
 * issueLoginToken(), timed in this process over many signs. Target: at most 2 ms added to a login.
 * `npm run bench` calls it; on its own: `node -r ts-node/register/transpile-only scripts/bench-token.ts`.
 */
import { performance } from 'perf_hooks';
import { issueLoginToken, tokenSettings } from '../core/token';
import { generateTokenKeys } from './keys';

const TARGET_MS = 2;

export interface TokenBench {
  firstMs: number;
  medianMs: number;
  p95Ms: number;
  signs: number;
}

export async function benchToken(signs = Number(process.env.BENCH_TOKEN_SIGNS ?? 2000)): Promise<TokenBench> {
  const { privateKeyPem } = await generateTokenKeys();
  const env = { AUTH_TOKEN_PRIVATE_KEY: privateKeyPem, AUTH_TOKEN_TTL_S: '3600' };
  const identity = {
    openid: 'oBenchOpenid0000000000000000',
    appid: 'wx0000000000bench',
    unionid: 'oUnion000000000000000000000',
  };
  const user = { openid: identity.openid, accountId: 'AAAAAAAAAAAAAAAAAAAAAA', sessionVersion: 3 };
  const once = async () => {
    const start = performance.now();
    await issueLoginToken(tokenSettings(env), identity, user);
    return performance.now() - start;
  };
  const firstMs = await once(); // parses the key and computes its thumbprint: once per function instance
  for (let i = 0; i < 200; i += 1) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < signs; i += 1) times.push(await once());
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const result = { firstMs, medianMs: at(0.5), p95Ms: at(0.95), signs };
  console.log(
    `\nSession token signing, ${signs} signs on Node ${process.versions.node} (target: <= ${TARGET_MS} ms added to a login)`,
  );
  console.log(`   first sign (key parse + thumbprint) ${firstMs.toFixed(3).padStart(8)} ms`);
  console.log(`   median                              ${result.medianMs.toFixed(3).padStart(8)} ms`);
  console.log(
    `   p95                                 ${result.p95Ms.toFixed(3).padStart(8)} ms   ${result.p95Ms <= TARGET_MS ? 'within' : 'OVER'} target`,
  );
  return result;
}

// (miniprogram-api-typings, loaded for the tests, redeclares `require`; Node's own has `main`.)
if ((require as unknown as NodeJS.Require).main === module) {
  benchToken().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
