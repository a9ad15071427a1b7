/**
 * Keeps the parts of wx-server-sdk that a cloud function rarely or never uses out of its cold start.
 *
 * Bundled in full (2.6 MB), wx-server-sdk and @cloudbase/node-sdk spend most of a cold start compiling and running
 * modules our functions never touch: the AI client, the data-model/MySQL client (built eagerly at init), JWT signing,
 * the COS XML parser, axios, and form-data with its 140 KB MIME table. Measured by `npm run bench` and documented
 * in docs/design.md.
 *
 * Each deferred package is moved out of the function's `index.js` into one side file, `sdk-deferred.js`, next to
 * it, and the SDK module that requires it is rewritten so that the require happens on first use instead of at load:
 *   const axios_1 = __importDefault(require("axios"));     // at load
 * becomes a getter, and every later `axios_1` reads it:
 *   function __deferred_axios_1() { ... __importDefault(require("./sdk-deferred.js")["axios"]) ... }
 * So a function that does use them (a cloud call sends multipart form-data; `cloud.ai()` loads the AI client) gets
 * the same module, once, from the side file. The rewrite is checked, not hoped for: a require line that is not found
 * exactly once, or a package that would end up in both files (two copies, two identities), fails the build.
 */
import type { Metafile, Plugin } from 'esbuild';
import { readFile } from 'fs/promises';
import { relative } from 'path';

/** The side file, next to the function's index.js (required relative to it, so the uploaded folder is complete). */
export const DEFERRED_FILE = 'sdk-deferred.js';
const DEFERRED_REQUIRE = `require("./${DEFERRED_FILE}")`;

interface DeferredRequire {
  /** The SDK file that requires the package (a path ending, inside node_modules). */
  file: string;
  /** The package it requires. */
  specifier: string;
  /**
   * A call made at load time that must wait too: `binding.default.generateHTTPClient(` becomes a call that returns
   * a stand-in, which makes the real call on first use of its result.
   */
  deferCall?: string;
  /**
   * Check at load time that the side file is there, so that a folder uploaded without it fails its cold start with
   * a clear message instead of failing its first cloud call. Set on a file every function loads.
   */
  checkAtLoad?: boolean;
}

/**
 * What is deferred, where. wx-server-sdk 4.0.2 pins @cloudbase/node-sdk 3.17.2 exactly, so these lines are known;
 * after an SDK upgrade the build says which one moved.
 */
export const DEFERRED_REQUIRES: readonly DeferredRequire[] = [
  // The data-model (models/mysql/rdb) client: wx-server-sdk exposes none of it, yet node-sdk builds it in init().
  {
    file: '@cloudbase/node-sdk/dist/cloudbase.js',
    specifier: '@cloudbase/wx-cloud-client-sdk',
    deferCall: '.default.generateHTTPClient(',
  },
  // axios: only the `requestClient` shim for CloudBase extensions and the metadata lookup outside the cloud.
  { file: '@cloudbase/node-sdk/dist/cloudbase.js', specifier: 'axios' },
  { file: '@cloudbase/node-sdk/dist/utils/metadata.js', specifier: 'axios' },
  // cloud.ai(): the AI client and the web-streams polyfill it streams with.
  { file: '@cloudbase/node-sdk/dist/ai/index.js', specifier: '@cloudbase/ai' },
  { file: '@cloudbase/node-sdk/dist/ai/index.js', specifier: '@cloudbase/app' },
  { file: '@cloudbase/node-sdk/dist/ai/request-adapter.js', specifier: 'web-streams-polyfill' },
  // JWT signing for custom login tickets (auth().createTicket).
  { file: '@cloudbase/node-sdk/dist/auth/index.js', specifier: 'jsonwebtoken' },
  // COS's XML error bodies, parsed only when an upload to storage fails.
  { file: '@cloudbase/node-sdk/dist/storage/index.js', specifier: 'xml2js' },
  // Multipart bodies (cloud calls, uploads): first used by the first such request, which then loads it (~10 ms).
  { file: '@cloudbase/node-sdk/dist/utils/request-core.js', specifier: 'form-data' },
  // A MIME table for media passed to cloud calls; form-data's copy is the same one, in the side file.
  { file: 'wx-server-sdk/index.js', specifier: 'mime-db', checkAtLoad: true },
];

/**
 * Packages allowed in both files: stateless helpers (or, for debug, state that is only about log output), whose
 * second copy changes nothing but a few kilobytes on disk.
 */
const MAY_BE_DUPLICATED = new Set(['debug', 'ms', 'supports-color', 'has-flag', 'safe-buffer']);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Rewrites one SDK file's source for the deferred requires that concern it. Throws when a line is not where expected. */
export function deferRequires(source: string, rules: readonly DeferredRequire[]): string {
  let text = source;
  let helpers = '';
  for (const rule of rules) {
    const literal = `require(${JSON.stringify(rule.specifier)})`;
    const where = `${rule.file} (deferring ${rule.specifier})`;
    if (!text.includes(literal)) throw new Error(`sdk-defer: ${where}: no ${literal} found; did the SDK change?`);
    // The binding that holds the module: `const x = <...require("pkg")...>;` (tsc), or the webpack module that
    // re-exports it plus the binding that requires that module (wx-server-sdk).
    const webpackModule = `module.exports = ${literal};`;
    const bindingText = text.includes(webpackModule)
      ? `__webpack_require__(/*! ${rule.specifier} */ ${JSON.stringify(rule.specifier)})`
      : literal;
    const declaration = new RegExp(`^(\\s*)(?:const|var|let) ([\\w$]+) = (.*${escapeRegExp(bindingText)}.*);$`, 'gm');
    const found = [...text.matchAll(declaration)];
    if (found.length !== 1)
      throw new Error(`sdk-defer: ${where}: expected one binding of ${bindingText}, found ${found.length}`);
    const [line, indent, name, expression] = found[0] as unknown as [string, string, string, string];
    const getter = `__deferred_${name}`;
    // The getter takes the declaration's place, in its scope: the expression may use names only visible there
    // (webpack's __webpack_require__ inside wx-server-sdk's module functions). A function declaration is hoisted,
    // so uses above it work too.
    const fromSideFile = `${DEFERRED_REQUIRE}[${JSON.stringify(rule.specifier)}]`;
    const load = expression.split(literal).join(fromSideFile);
    text = text.replace(
      line,
      // No initialiser on the var: a use before this line (through the hoisted function) must not be undone.
      `${indent}/* deferred to first use (scripts/sdk-defer.ts) */ var ${getter}_loaded; function ${getter}() { if (!${getter}_loaded) ${getter}_loaded = { value: ${load} }; return ${getter}_loaded.value; }`,
    );
    if (rule.deferCall) {
      const call = `${name}${rule.deferCall}`;
      const count = text.split(call).length - 1;
      if (count === 0) throw new Error(`sdk-defer: ${where}: no ${call} found`);
      const method = rule.deferCall.slice(0, -1);
      text = text.split(call).join(`__deferredResult((...args) => ${name}${method}(...args))(`);
      helpers += DEFERRED_RESULT_HELPER;
    }
    const uses = new RegExp(`(?<![\\w$.])${escapeRegExp(name)}(?![\\w$])`, 'g');
    if (new RegExp(`(?<![\\w$.])${escapeRegExp(name)}\\s*=[^=>]`).test(text))
      throw new Error(`sdk-defer: ${where}: ${name} is assigned after its declaration; cannot defer it`);
    // Parenthesised: `new pkg_1.Klass(...)` must stay `new (getter()).Klass(...)`, not `(new getter()).Klass(...)`.
    text = text.replace(uses, `(${getter}())`);
    text = text.split(literal).join(fromSideFile);
    if (rule.checkAtLoad) helpers += SIDE_FILE_CHECK;
  }
  if (helpers.includes(DEFERRED_RESULT_HELPER))
    helpers = helpers.split(DEFERRED_RESULT_HELPER).join('') + DEFERRED_RESULT_HELPER;
  return `${text}\n${helpers}`;
}

const SIDE_FILE_CHECK = `
try { require.resolve("./${DEFERRED_FILE}"); } catch (error) {
  throw new Error("${DEFERRED_FILE} is missing next to index.js: upload the whole folder npm run build wrote");
}
`;

/**
 * A stand-in for an object made at load time by a deferred package: the real call happens at the first use of the
 * result, with the arguments of the original call, and every use is forwarded to the real object.
 */
const DEFERRED_RESULT_HELPER = `
function __deferredResult(make) {
  return function () {
    var args = arguments, made = false, real;
    var target = function () { if (!made) { real = make.apply(undefined, args); made = true; } return real; };
    return new Proxy({}, {
      get: function (_, key) { var object = target(); var value = Reflect.get(object, key); return typeof value === 'function' ? value.bind(object) : value; },
      set: function (_, key, value) { return Reflect.set(target(), key, value); },
      has: function (_, key) { return Reflect.has(target(), key); },
      ownKeys: function () { return Reflect.ownKeys(target()); },
      getOwnPropertyDescriptor: function (_, key) { var d = Reflect.getOwnPropertyDescriptor(target(), key); if (d) d.configurable = true; return d; },
    });
  };
}
`;

/** The packages (as resolved by esbuild, absolute) each rewritten file asked for: the side file's contents. */
export type DeferredModules = Map<string, string>;

/**
 * The esbuild plugin for the function's index.js: rewrites the SDK files listed above, keeps the side file external
 * (required at run time, relative to index.js) and records where each deferred package resolves.
 */
export function deferPlugin(deferred: DeferredModules): Plugin {
  return {
    name: 'sdk-defer',
    setup(build) {
      const byFile = new Map<string, DeferredRequire[]>();
      for (const rule of DEFERRED_REQUIRES) byFile.set(rule.file, [...(byFile.get(rule.file) ?? []), rule]);
      const files = [...byFile.keys()].map((file) => escapeRegExp(`node_modules/${file}`));
      build.onLoad({ filter: new RegExp(`(${files.join('|')})$`) }, async (args) => {
        const path = args.path.replace(/\\/g, '/');
        const [file, rules] = [...byFile].find(([ending]) => path.endsWith(`node_modules/${ending}`)) ?? [];
        if (!file || !rules) return undefined;
        const source = await readFile(args.path, 'utf8');
        for (const rule of rules) {
          const resolved = await build.resolve(rule.specifier, {
            kind: 'require-call',
            resolveDir: args.path.replace(/[\\/][^\\/]*$/, ''),
          });
          if (resolved.errors.length > 0) throw new Error(`sdk-defer: cannot resolve ${rule.specifier} from ${file}`);
          const earlier = deferred.get(rule.specifier);
          if (earlier && earlier !== resolved.path)
            throw new Error(`sdk-defer: ${rule.specifier} resolves to two copies (${earlier}, ${resolved.path})`);
          deferred.set(rule.specifier, resolved.path);
        }
        return { contents: deferRequires(source, rules), loader: 'js' };
      });
      build.onResolve({ filter: new RegExp(`^\\./${escapeRegExp(DEFERRED_FILE)}$`) }, (args) => ({
        path: args.path,
        external: true,
      }));
    },
  };
}

/** The side file's entry: one getter per package, so each loads (and runs its top level) only when asked for. */
export function deferredEntry(deferred: DeferredModules): string {
  const getters = [...deferred]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([specifier, path]) => `  get ${JSON.stringify(specifier)}() { return require(${JSON.stringify(path)}); },`);
  return `module.exports = {\n${getters.join('\n')}\n};\n`;
}

/** Package name of a bundled input path (the last node_modules segment), or undefined for our own files. */
function packageOf(input: string): string | undefined {
  const matches = [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  return matches.at(-1)?.[1];
}

/** Packages found in both files, apart from the ones allowed there: each would exist twice at run time. */
export function duplicatedPackages(main: Metafile, side: Metafile): string[] {
  const inMain = new Set(Object.keys(main.inputs).map(packageOf));
  const both = new Set(
    Object.keys(side.inputs)
      .map(packageOf)
      .filter((name): name is string => name !== undefined && inMain.has(name) && !MAY_BE_DUPLICATED.has(name)),
  );
  return [...both].sort();
}

/** Per-package bytes of a bundle, biggest first (for the bench and for reading a metafile). */
export function bytesByPackage(meta: Metafile, root: string): Array<{ name: string; bytes: number }> {
  const totals = new Map<string, number>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, info] of Object.entries(output.inputs)) {
      const name = packageOf(input) ?? relative(root, input).split(/[\\/]/)[0] ?? input;
      totals.set(name, (totals.get(name) ?? 0) + info.bytesInOutput);
    }
  }
  return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}
