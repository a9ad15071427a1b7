/**
 * A small multipart/form-data parser for the requests wx-server-sdk sends (built by the `form-data`
 * package inside @cloudbase/node-sdk: utils/request-core.js buildHttpRequestInfo). Whole body in
 * memory: cloud-call bodies are small. No parser is a dependency of the project (busboy is not installed).
 */

export interface FormPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

export class MultipartError extends Error {}

/** The media type of a Content-Type header, lower case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The boundary parameter of a multipart Content-Type header, unquoted. */
export function boundaryOf(contentType: string): string {
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw new MultipartError('multipart body without a boundary');
  return boundary;
}

/** Value of a header parameter such as name="x" in a Content-Disposition line. */
function headerParam(header: string, param: string): string | undefined {
  const match = new RegExp(`;\\s*${param}="([^"]*)"`, 'i').exec(header);
  return match?.[1];
}

function parseHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function parsePart(raw: Buffer): FormPart {
  const headerEnd = raw.indexOf('\r\n\r\n');
  if (headerEnd < 0) throw new MultipartError('multipart part without a header block');
  const headers = parseHeaders(raw.subarray(0, headerEnd).toString('utf8'));
  const disposition = headers.get('content-disposition') ?? '';
  const name = headerParam(disposition, 'name');
  if (name === undefined) throw new MultipartError('multipart part without a name');
  const part: FormPart = { name, data: raw.subarray(headerEnd + 4) };
  const filename = headerParam(disposition, 'filename');
  if (filename !== undefined) part.filename = filename;
  const contentType = headers.get('content-type');
  if (contentType !== undefined) part.contentType = contentType;
  return part;
}

/** Splits a multipart/form-data body into its parts. Throws MultipartError on a malformed body. */
export function parseMultipart(contentType: string, body: Buffer): FormPart[] {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`);
  let start = body.indexOf(delimiter);
  if (start < 0) throw new MultipartError('multipart body without its boundary');
  const parts: FormPart[] = [];
  for (;;) {
    const afterDelimiter = start + delimiter.length;
    // "--" right after a delimiter closes the body.
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), afterDelimiter);
    if (next < 0) throw new MultipartError('multipart body is not closed');
    // Skip the CRLF after the delimiter line; the CRLF before the next delimiter belongs to it.
    parts.push(parsePart(body.subarray(afterDelimiter + 2, next)));
    start = next + 2;
  }
}
