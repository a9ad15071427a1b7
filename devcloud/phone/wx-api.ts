/** The callbacks every wx API takes besides returning a promise. */
export interface WxCallbacks<T, E = unknown> {
  success?: (result: T) => void;
  fail?: (error: E) => void;
  complete?: (result: T | E) => void;
}

/**
 * Runs a wx-style API on the simulated phone: returns the promise, and also calls success/fail/complete as WeChat
 * does. A throwing success or fail callback does not stop complete, and a caller that only passed callbacks gets no
 * unhandled rejection.
 */
export function wxApi<T, E = unknown>(options: WxCallbacks<T, E> | undefined, run: () => Promise<T>): Promise<T> {
  const promise = run();
  const callback = <A>(fn: ((arg: A) => void) | undefined, arg: A) => {
    try {
      fn?.(arg);
    } catch (error) {
      console.error(error);
    }
  };
  promise.then(
    (result) => {
      callback(options?.success, result);
      callback(options?.complete, result);
    },
    (error: unknown) => {
      callback(options?.fail, error as E);
      callback(options?.complete, error as E);
    },
  );
  if (options?.success || options?.fail || options?.complete) promise.catch(() => undefined);
  return promise;
}
