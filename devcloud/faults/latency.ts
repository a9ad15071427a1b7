/**
 * A call that takes `latencyMs` of network time: the request travels half of it, the service works, and the reply
 * arrives when the whole has passed (or when the work is done, if it takes longer). devcloud's own work, done one
 * request at a time on one thread, thus hides inside the modelled network time the way a real service's parallel
 * work does, instead of adding to it for calls made in parallel.
 */
export async function withLatency<T>(latencyMs: number, work: () => Promise<T>): Promise<T> {
  if (latencyMs <= 0) return work();
  const started = Date.now();
  await new Promise((done) => setTimeout(done, latencyMs / 2));
  const result = await work();
  const remaining = latencyMs - (Date.now() - started);
  if (remaining > 0) await new Promise((done) => setTimeout(done, remaining));
  return result;
}
