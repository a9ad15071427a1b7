/**
 * http/: the one request-body reader, for the hub and for the wings that answer HTTP themselves (storage's upload
 * URL). Every body devcloud reads has a limit, CloudBase's where it states one. Over the limit nothing more is kept
 * (a declared Content-Length over it is refused before a byte is read), the request is answered 413 with
 * `connection: close`, and Node drops the connection once the answer is out, so the rest of the body is neither
 * kept nor read for long. It imports nothing of devcloud.
 */
import type { IncomingMessage, ServerResponse } from 'http';

const MB = 1024 * 1024;

/** The limits, in bytes. */
export const BODY_LIMITS = {
  /**
   * A function's request body, i.e. the event of callFunction: 6 MB ("Cloud function request body maximum limit:
   * text type request body 100KB, other type request body 6MB",
   * https://docs.cloudbase.net/en/error-code/service/EXCEED_MAX_PAYLOAD_SIZE).
   */
  functionEvent: 6 * MB,
  /** Any other CloudBase request (database, storage actions, cloud calls): 100 MB, the same page. */
  cloudbase: 100 * MB,
  /**
   * One stored file's bytes (a storage PUT, a phone's upload): devcloud's own limit. Storage is COS, whose simple
   * upload (PUT Object) takes up to 5 GB (https://www.tencentcloud.com/document/product/436/14113); devcloud holds
   * a file in memory, so it stops at 50 MB.
   */
  file: 50 * MB,
  /** The console's import of collection files: devcloud's own limit. */
  import: 32 * MB,
  /** Every other control route and the WeChat server API fake take small JSON: devcloud's own limit. */
  control: 1 * MB,
} as const;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the request body is over ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * The body, whole; rejects with BodyTooLarge as soon as it is known to be over `limit` (from Content-Length, or
 * while reading), keeping nothing more.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      cleanUp();
      reject(new BodyTooLarge(limit));
    };
    const onEnd = () => {
      cleanUp();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanUp();
      reject(error);
    };
    const cleanUp = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

/**
 * Answers 413 and closes: Node ends the connection after the answer (connection: close), so a client still sending
 * learns at once and devcloud reads no more than the socket already holds.
 */
export function answerTooLarge(
  response: ServerResponse,
  limit: number,
  body: { type: string; text: string } = {
    type: 'application/json',
    text: JSON.stringify({ code: 'PAYLOAD_TOO_LARGE', message: `the request body is over ${limit} bytes` }),
  },
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(413, { 'content-type': body.type, connection: 'close' });
  response.end(body.text);
}
