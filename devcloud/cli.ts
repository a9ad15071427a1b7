import { existsSync, statSync } from 'fs';
import { resolve } from 'path';
import { parseArgs } from 'util';
import { exportCollections, importCollections } from './database/collections';
import { consoleAssets } from './hub/console-assets';
import { projectFunctionsDir, projectRulesDir } from './hub/project';
import { RulesFileError } from './rules';
import { startDevCloud, type DevCloud } from './hub';

/**
 * `devcloud` (`npx devcloud` in a project, `npm run devcloud` in the kit): serve the local cloud until Ctrl-C.
 * Every path is relative to the current folder, which is taken to be the mini-program project.
 */
const USAGE = `Usage: devcloud [options]

  --functions DIR        the cloud functions to run (default: cloudfunctionRoot of ./project.config.json,
                         else ./cloudfunctions); each <DIR>/<name>/index.js exports main(event, context)
  --memory               keep everything in memory (nothing on disk)
  --data DIR             the on-disk store: database and files (default: ./.devcloud)
  --rules DIR            the security-rules folder, one <collection>.json per collection: each of those
                         collections exists from the start (default: ./database-rules when present),
                         and the rules govern wx.cloud.database() on simulated phones (a collection
                         without rules is closed to them). Other collections must be created
                         (db.createCollection) or imported first
  --import DIR           seed collections from DIR/<collection>.json (arrays of documents, Extended JSON);
                         each file's collection is created if missing
  --export-on-exit DIR   on Ctrl-C / SIGTERM, write every collection to DIR/<collection>.json (same format)
  --port N               port on 127.0.0.1 (default 8787; 0 picks a free one)
  --host HOST            127.0.0.1 or localhost only: devcloud never listens beyond loopback
  --function-env JSON    extra environment per function, e.g. '{"login":{"AUTH_TOKEN_PRIVATE_KEY":"..."}}'
                         (as set in the CloudBase console for each function)
  --function-timeout S   the timeout, in whole seconds (1 to 3600), of a function whose config.json sets none
                         (default 3, as on CloudBase): more for a debugger's breakpoints or a loaded machine
  --json                 print one JSON line {"url","appid","envId"} when ready, and nothing else on stdout
  --help                 this text`;

/** A usage mistake: reported with the usage text, exit code 2. */
export class UsageError extends Error {}

export interface CliOptions {
  functionsDir: string;
  /** Absent: in memory. */
  dataDir?: string;
  importDir?: string;
  /** Absent: no rules folder, no collection declared up front, every collection closed to phones. */
  rulesDir?: string;
  exportDir?: string;
  port: number;
  json: boolean;
  /** Extra environment variables per function name. */
  functionEnv?: Record<string, Record<string, string>>;
  /** The timeout of a function without one in its config.json (absent: CloudBase's 3 s). */
  functionTimeoutSeconds?: number;
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost'];

/** The command line as options, relative paths resolved against `cwd`; throws UsageError for a mistake. */
export function parseCli(args: readonly string[], cwd: string): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        functions: { type: 'string' },
        memory: { type: 'boolean' },
        data: { type: 'string' },
        import: { type: 'string' },
        rules: { type: 'string' },
        'export-on-exit': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'function-env': { type: 'string' },
        'function-timeout': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.help) return 'help';
  if (parsed.memory && parsed.data !== undefined) throw new UsageError('--memory and --data exclude each other');
  if (parsed.host !== undefined && !LOOPBACK_HOSTS.includes(parsed.host))
    throw new UsageError(
      `--host ${parsed.host} refused: devcloud serves loopback only (${LOOPBACK_HOSTS.join(', ')}); ` +
        'its control API runs code and reads every document, so it must never face a network',
    );
  const port = parsed.port === undefined ? 8787 : /^[0-9]+$/.test(parsed.port) ? Number(parsed.port) : NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port ${parsed.port ?? ''} is not a port number (0 to 65535)`);
  const folder = (flag: string, value: string) => {
    const dir = resolve(cwd, value);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${value}: no such folder`);
    return dir;
  };
  const functionEnv = parsed['function-env'] === undefined ? undefined : parseFunctionEnv(parsed['function-env']);
  const timeout = parsed['function-timeout'];
  if (timeout !== undefined && !(/^[0-9]+$/.test(timeout) && Number(timeout) >= 1 && Number(timeout) <= 3600))
    throw new UsageError(`--function-timeout ${timeout} is not a whole number of seconds from 1 to 3600`);
  const rulesDir = parsed.rules === undefined ? projectRulesDir(cwd) : folder('--rules', parsed.rules);
  return {
    functionsDir: parsed.functions === undefined ? projectFunctionsDir(cwd) : folder('--functions', parsed.functions),
    ...(parsed.memory ? {} : { dataDir: resolve(cwd, parsed.data ?? '.devcloud') }),
    ...(parsed.import === undefined ? {} : { importDir: folder('--import', parsed.import) }),
    ...(rulesDir === undefined ? {} : { rulesDir }),
    ...(parsed['export-on-exit'] === undefined ? {} : { exportDir: resolve(cwd, parsed['export-on-exit']) }),
    port,
    json: parsed.json === true,
    ...(functionEnv ? { functionEnv } : {}),
    ...(timeout === undefined ? {} : { functionTimeoutSeconds: Number(timeout) }),
  };
}

/** `{"<function>": {"<NAME>": "<value>"}}`, strings only, as the console's environment variables are. */
function parseFunctionEnv(text: string): Record<string, Record<string, string>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--function-env is not JSON: ${(error as Error).message}`);
  }
  const isObject = (item: unknown): item is Record<string, unknown> =>
    typeof item === 'object' && item !== null && !Array.isArray(item);
  const valid =
    isObject(value) &&
    Object.values(value).every((env) => isObject(env) && Object.values(env).every((v) => typeof v === 'string'));
  if (!valid)
    throw new UsageError('--function-env must be {"<function>": {"<NAME>": "<value>", ...}, ...} with string values');
  return value as Record<string, Record<string, string>>;
}

function describeCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'no collections' : entries.map(([name, count]) => `${name} (${count})`).join(', ');
}

function printHelp(cloud: DevCloud, options: CliOptions, collections: readonly string[]): void {
  console.log(`devcloud is serving at ${cloud.url} (appid ${cloud.appid}, env ${cloud.envId})`);
  console.log(`console: ${cloud.url}/console (functions, database, storage, users, WeChat, faults)`);
  console.log(`functions: ${options.functionsDir}`);
  console.log(options.dataDir ? `store: ${options.dataDir}` : 'store: in memory');
  if (options.rulesDir) console.log(`rules: ${options.rulesDir}`);
  console.log(`collections: ${collections.join(', ') || 'none yet (db.createCollection, or --import)'}`);
  if (!options.rulesDir) console.log('no security rules: wx.cloud.database() on simulated phones is refused');
  if (options.exportDir) console.log(`on exit, collections are exported to ${options.exportDir}`);
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

/**
 * Runs the command line: serves until SIGINT/SIGTERM, then exits the process (0, or 1 when the export failed).
 * Usage mistakes exit with 2, a bad --import with 1.
 */
export function runCli(args: readonly string[]): void {
  serve(args).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (error: unknown) => {
      console.error('devcloud:', error);
      process.exit(1);
    },
  );
}

/** Starts serving; resolves with an exit code when there is nothing to serve, undefined while serving. */
async function serve(args: readonly string[]): Promise<number | undefined> {
  let options: CliOptions | 'help';
  try {
    options = parseCli(args, process.cwd());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`devcloud: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  // In --json mode stdout carries the one ready line: everything else goes to stderr.
  const say = options.json ? console.error : console.log;
  if (!existsSync(options.functionsDir))
    say(`devcloud: ${options.functionsDir} does not exist yet: no functions to run`);

  let cloud: DevCloud;
  try {
    cloud = await startDevCloud({
      port: options.port,
      functionsDir: options.functionsDir,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.functionEnv ? { functionEnv: options.functionEnv } : {}),
      ...(options.functionTimeoutSeconds ? { functionTimeoutMs: options.functionTimeoutSeconds * 1000 } : {}),
      rulesDir: options.rulesDir ?? false,
    });
  } catch (error) {
    if (!(error instanceof RulesFileError)) throw error;
    console.error(`devcloud: --rules: ${error.message}`);
    return 1;
  }
  if (options.importDir) {
    try {
      say(`imported ${describeCounts(await importCollections(cloud.database, options.importDir))}`);
    } catch (error) {
      await cloud.stop();
      console.error(`devcloud: --import ${options.importDir}: ${(error as Error).message}`);
      return 1;
    }
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait any longer
    stopping = true;
    const exportDir = options.exportDir;
    const exported = exportDir
      ? exportCollections(cloud.database, exportDir).then(
          (counts) => (say(`exported ${describeCounts(counts)} to ${exportDir}`), true),
          (error: unknown) => (console.error(`devcloud: export to ${exportDir} failed: ${String(error)}`), false),
        )
      : Promise.resolve(true);
    void exported.then(async (ok) => {
      await cloud.stop();
      say(`devcloud stopped (${signal})`);
      process.exit(ok ? 0 : 1);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  // Build the console's page now (about 0.1 s, in the background), so that a build problem shows at start.
  consoleAssets().catch((error: unknown) =>
    console.error(`devcloud: the console at /console will not load: ${String(error)}`),
  );
  if (options.json) console.log(JSON.stringify({ url: cloud.url, appid: cloud.appid, envId: cloud.envId }));
  else printHelp(cloud, options, await cloud.database.collections());
  return undefined;
}
