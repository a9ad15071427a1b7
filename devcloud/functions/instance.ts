/**
 * One function instance: a child process running worker.js, which loads the function once (the cold start) and
 * then serves one invocation at a time, as an SCF instance does. runtime.ts keeps the pools and queues; this file
 * starts an instance, hands it an invocation, and ends it.
 */
import { fork, type ChildProcess } from 'child_process';
import { join } from 'path';
import type { InvocationContext } from '../protocol';

export interface Instance {
  /** Numbers the instance's own CloudBase URL, so the local cloud knows whose invocation is calling. */
  id: number;
  child: ChildProcess;
  entry: string;
  /** The config.json environment it started with: an instance started before an edit is not reused. */
  envKey: string;
  busy: boolean;
  /** Started with an environment that has since changed: ended when its invocation is over. */
  stale?: boolean;
  /** Resolves with the load time (ms) once the function is loaded; rejects if the process exits first. */
  ready: Promise<number>;
  pending?: { id: string; resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };
  /** The invocation running, or the one that ran last: output outside an invocation is credited to it. */
  latestRequestId?: string;
  /** Output of an invocation not yet ended by a newline, per requestId. */
  partialOutput: Map<string, string>;
  /** The runtime ended it (timeout, stop, a changed environment): its exit is not a failure of its own. */
  ended?: boolean;
  /** How its process exited ('signal SIGKILL', 'code 1'), once it has. */
  exited?: string;
}

export interface WorkerReply {
  type: 'result';
  id: string;
  result?: unknown;
  error?: { message: string };
  cold: boolean;
  durationMs: number;
  rssBytes: number;
  nodeVersion: string;
}

/** What an instance wrote to stdout or stderr while serving invocation `id` (see worker.js). */
interface WorkerOutput {
  type: 'output';
  id: string;
  text: string;
}

const WORKER = join(__dirname, 'worker.js');

/**
 * How an instance is ended (timeout, crash clean-up, stop): SIGKILL, as the platform reclaims an instance. A
 * function (or a library it loads) may handle SIGTERM and live on, which would leak the process and hang stop().
 */
const HARD_KILL = 'SIGKILL';

export class InvocationTimeout extends Error {}

export interface InstanceSpec {
  id: number;
  entry: string;
  /** The process's whole environment (the runtime builds it: the SDK's variables, config.json's, the console's). */
  env: NodeJS.ProcessEnv;
  envKey: string;
  nodeBinary: string;
}

export interface InstanceEvents {
  /** A line the function wrote, with the invocation it belongs to (the running one, else the latest). */
  onLog(line: string, requestId?: string): void;
  /** The process is gone; whatever waited on it has been failed already. */
  onExit(): void;
}

export function startInstance(spec: InstanceSpec, events: InstanceEvents): Instance {
  const child = fork(WORKER, [], { env: spec.env, silent: true, execArgv: [], execPath: spec.nodeBinary });
  // Output written outside an invocation (loading, a promise left running) comes through the pipes, credited to
  // the instance's latest invocation. Lines, not chunks: a pipe may cut a line (or a multi-byte character) anywhere.
  const forward = (stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    let partial = '';
    const log = (line: string) => events.onLog(line, instance.latestRequestId);
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line) log(line);
    });
    stream.on('end', () => {
      if (partial) log(partial);
      partial = '';
    });
  };
  // An IPC send to an instance that just died reports here (and through send's callback), not as a crash.
  child.on('error', () => undefined);
  let markReady: (initMs: number) => void = () => undefined;
  let failReady: (error: Error) => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => undefined); // observed by the invocation; never an unhandled rejection here
  // The handlers hold the instance itself: a pool lookup misses it once the runtime has let go of it, and its
  // invocation would then wait for its timeout instead of failing when the process ends.
  const instance: Instance = {
    id: spec.id,
    child,
    entry: spec.entry,
    envKey: spec.envKey,
    busy: true,
    ready,
    partialOutput: new Map(),
  };
  forward(child.stdout);
  forward(child.stderr);
  child.on('message', (message: WorkerReply | WorkerOutput | { type: 'ready'; initMs: number }) => {
    if (message.type === 'ready') {
      markReady(message.initMs);
      return;
    }
    if (message.type === 'output') {
      invocationOutput(instance, message.id, message.text, events);
      return;
    }
    // Output sent during the invocation came before its result, on the same channel: its last line is complete.
    invocationOutput(instance, message.id, '\n', events);
    if (instance.pending && message.id === instance.pending.id) {
      const { resolve } = instance.pending;
      instance.pending = undefined;
      resolve(message);
    }
  });
  child.on('exit', (code, signal) => {
    const how = signal ? `signal ${signal}` : `code ${code}`;
    instance.exited = how;
    // Ended by the runtime while still loading (stop() during a cold start): the invocation waiting for it sees
    // the same exit as one already running, not a start failure of the function's own.
    failReady(
      new Error(
        instance.ended
          ? `function instance exited (${how}) while it was starting`
          : `function instance failed to start (${how})`,
      ),
    );
    if (instance.pending) instance.pending.reject(new Error(`function instance exited (${how})`));
    events.onExit();
  });
  return instance;
}

/** Kills the instance's process; what waits on it learns that it exited, not that it failed on its own. */
export function endInstance(instance: Instance): void {
  instance.ended = true;
  instance.child.kill(HARD_KILL);
}

/** Output an instance wrote during invocation `requestId`, sent with it over IPC: logged line by line. */
function invocationOutput(instance: Instance, requestId: string, text: string, events: InstanceEvents): void {
  const lines = ((instance.partialOutput.get(requestId) ?? '') + text).split('\n');
  const partial = lines.pop() ?? '';
  if (partial) instance.partialOutput.set(requestId, partial);
  else instance.partialOutput.delete(requestId);
  for (const line of lines) if (line) events.onLog(line, requestId);
}

/** One invocation on a ready instance: its reply, or a rejection when it times out or the process ends. */
export function invokeOn(
  instance: Instance,
  id: string,
  event: unknown,
  context: InvocationContext,
  timeoutMs: number,
): Promise<WorkerReply> {
  // Gone already (between its ready message and this send): say so, rather than that the channel is closed.
  if (instance.exited !== undefined) return Promise.reject(new Error(`function instance exited (${instance.exited})`));
  instance.latestRequestId = id;
  return new Promise<WorkerReply>((resolve, reject) => {
    const timer = setTimeout(() => {
      instance.pending = undefined;
      reject(new InvocationTimeout(`Invoking task timed out after ${timeoutMs / 1000} seconds`));
    }, timeoutMs);
    instance.pending = {
      id,
      resolve: (reply) => {
        clearTimeout(timer);
        resolve(reply);
      },
      reject: (error) => {
        clearTimeout(timer);
        reject(error);
      },
    };
    instance.child.send({ type: 'invoke', id, event, context }, (error) => {
      if (error) instance.pending?.reject(new Error(`function instance unreachable: ${error.message}`));
    });
  });
}
