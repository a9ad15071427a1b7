import { join } from 'path';
import { startDevCloud } from './server';

/**
 * `npm run devcloud`: serve the local cloud until Ctrl-C, with its on-disk store under .devcloud/.
 * Flags: --port N (default 8787), --memory (no disk), --data DIR, --json (print one JSON line when ready: for
 * test harnesses that run devcloud as a child process), --function-env JSON (extra environment per function, e.g.
 * '{"login":{"AUTH_TOKEN_PRIVATE_KEY":"..."}}').
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.includes(name);
  const value = (name: string) => {
    const index = args.indexOf(name);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const port = Number(value('--port') ?? 8787);
  const dataDir = flag('--memory') ? undefined : (value('--data') ?? join(__dirname, '..', '.devcloud'));
  const functionEnvJson = value('--function-env');
  const functionEnv = functionEnvJson
    ? (JSON.parse(functionEnvJson) as Record<string, Record<string, string>>)
    : undefined;
  const cloud = await startDevCloud({ port, ...(dataDir ? { dataDir } : {}), ...(functionEnv ? { functionEnv } : {}) });
  const stop = () => {
    void cloud.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (flag('--json')) {
    console.log(JSON.stringify({ url: cloud.url, appid: cloud.appid, envId: cloud.envId }));
    return;
  }
  console.log(`devcloud is serving at ${cloud.url} (appid ${cloud.appid}, env ${cloud.envId})`);
  console.log(dataDir ? `store: ${dataDir}` : 'store: in memory');
  console.log(`
Invoke a cloud function as a chosen WeChat user (the user is created on first use):
  curl -s ${cloud.url}/devcloud/functions/invoke -H 'content-type: application/json' \\
       -d '{"name":"login","event":{},"user":"alice"}'
With a fresh wx.login code, as the mini-program sends it:
  code=$(curl -s ${cloud.url}/devcloud/wx/login -H 'content-type: application/json' -d '{"user":"alice"}' | sed 's/.*"code":"\\([^"]*\\)".*/\\1/')
  curl -s ${cloud.url}/devcloud/functions/invoke -H 'content-type: application/json' \\
       -d '{"name":"login","event":{"code":"'$code'"},"user":"alice"}'
Look at a collection:   curl -s ${cloud.url}/devcloud/db/users
Lose a reply:           curl -s ${cloud.url}/devcloud/faults -H 'content-type: application/json' \\
       -d '{"fault":{"target":"database","mode":"lost","match":{"action":"database.commitTransaction"}}}'
Calls made so far:      curl -s ${cloud.url}/devcloud/calls
Ctrl-C stops it.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
