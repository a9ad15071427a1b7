// One cloud function instance: a child process that loads cloudfunctions/<fn>/index.js once (the cold start) and
// then serves one invocation at a time, like a CloudBase (SCF) instance. Plain JavaScript so it starts without a
// TypeScript loader. The parent (runtime.ts) sends {type:'invoke'} messages and receives {type:'result'} ones.
'use strict';

const fs = require('fs');
const Module = require('module');
const path = require('path');
const { performance } = require('perf_hooks');

const entry = process.env.DEVCLOUD_FUNCTION_ENTRY;
const functionDir = path.dirname(entry);

function isInside(file, dir) {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** Whether a node_modules folder between `fromDir` and the function's folder holds the package `request` names. */
function linkedInside(request, fromDir) {
  const parts = request.split('/');
  const name = request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  for (let dir = fromDir; dir === functionDir || isInside(dir, functionDir); dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules' && fs.existsSync(path.join(dir, 'node_modules', name))) return true;
  }
  return false;
}

// The cloud runs the uploaded folder and nothing else: a package the function's own files require must be inside
// it (bundled, or in its node_modules). Here the folder sits in the repository, whose node_modules Node would
// otherwise find by walking up, hiding a bundle that is not complete. Packages required from outside the folder
// (a test fixture that loads the SDK by absolute path, and the SDK's own requires) resolve as usual.
// A package found in a node_modules folder inside the function counts even when it is a symbolic link to elsewhere
// (pnpm's layout, `npm link`, a test that links the SDK in): Node reports the link's target as the resolved path.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  const resolved = resolveFilename.call(this, request, parent, ...rest);
  const bare = !request.startsWith('.') && !path.isAbsolute(request);
  const fromFunction = parent && parent.filename && isInside(parent.filename, functionDir);
  if (
    bare &&
    fromFunction &&
    path.isAbsolute(resolved) &&
    !isInside(resolved, functionDir) &&
    !linkedInside(request, path.dirname(parent.filename))
  ) {
    const error = new Error(
      `Cannot find module '${request}' (required from ${path.relative(functionDir, parent.filename)}): the function's folder does not contain it, so the cloud would not find it either; bundle it (npm run build)`,
    );
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolved;
};
let handler;
let served = 0;
/** The invocation being served: what the function writes meanwhile is sent with it (see captureOutput). */
let running;

/**
 * Output written during an invocation goes to the parent over IPC, tagged with the invocation, rather than down the
 * stdout/stderr pipes: IPC messages arrive in order, so every line reaches the parent before the invocation's
 * result and is credited to the right invocation. Outside an invocation (loading, a promise left running) the
 * stream writes to its pipe as usual.
 */
function captureOutput(stream) {
  const write = stream.write.bind(stream);
  stream.write = function (chunk, encoding, callback) {
    if (running === undefined || !process.connected) return write(chunk, encoding, callback);
    const done = typeof encoding === 'function' ? encoding : callback;
    let text;
    if (typeof chunk !== 'string') text = Buffer.from(chunk).toString('utf8');
    else if (typeof encoding === 'string' && !/^utf-?8$/i.test(encoding))
      text = Buffer.from(chunk, encoding).toString('utf8');
    else text = chunk;
    process.send({ type: 'output', id: running, text });
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
}
captureOutput(process.stdout);
captureOutput(process.stderr);
/** WX_* keys set for the previous invocation: removed before the next one so no identity carries over. */
let previousKeys = [];

function applyContext(context) {
  for (const key of previousKeys) delete process.env[key];
  previousKeys = [];
  for (const [name, value] of Object.entries(context)) {
    if (value === undefined || value === null || value === '') continue;
    // SOURCE is read from TCB_SOURCE; TRIGGER_SRC ('timer') is SCF's own variable; the rest are WX_* context keys.
    const key = name === 'SOURCE' ? 'TCB_SOURCE' : name === 'TRIGGER_SRC' ? 'TRIGGER_SRC' : `WX_${name}`;
    process.env[key] = String(value);
    previousKeys.push(key);
  }
  process.env.WX_CONTEXT_KEYS = previousKeys.filter((key) => key.startsWith('WX_')).join(',');
}

/** What the caller sees of a thrown value: an Error's message; anything else thrown (`throw {code}`) as JSON. */
function describeError(error) {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object') {
    try {
      return JSON.stringify(error);
    } catch {
      return String(error);
    }
  }
  return String(error);
}

process.on('message', async (message) => {
  if (!message || message.type !== 'invoke') return;
  const started = performance.now();
  const cold = served === 0;
  served += 1;
  let reply;
  running = message.id;
  try {
    applyContext(message.context || {});
    const result = await handler(message.event, { request_id: message.id, environment: '{}' });
    reply = {
      type: 'result',
      id: message.id,
      result: JSON.parse(JSON.stringify(result === undefined ? null : result)),
    };
  } catch (error) {
    reply = { type: 'result', id: message.id, error: { message: describeError(error) } };
  }
  reply.cold = cold;
  reply.durationMs = performance.now() - started;
  reply.rssBytes = process.memoryUsage().rss;
  reply.nodeVersion = process.version;
  running = undefined;
  process.send(reply);
});

// The cold start: load the function once, report how long it took, then wait for invocations. SCF likewise
// initialises an instance before the invocation's own timeout starts.
const initStarted = performance.now();
try {
  handler = require(entry).main;
  if (typeof handler !== 'function') throw new Error(`${entry} does not export main()`);
  process.send({
    type: 'ready',
    initMs: performance.now() - initStarted,
    rssBytes: process.memoryUsage().rss,
    nodeVersion: process.version,
  });
} catch (error) {
  console.error(`init failed: ${(error && error.stack) || error}`);
  process.exit(1);
}

// An unhandled rejection in a real instance kills it; do the same so tests see it instead of a hang.
process.on('unhandledRejection', (reason) => {
  console.error('unhandledRejection', reason);
  process.exit(1);
});
