// Request bodies in a content coding (RFC 9110, 8.4.1): log shippers send gzip, deflate or Brotli, and the server
// decodes them as they arrive. The route's body limit counts the decoded bytes (Fastify's raw body reader checks
// what this stream yields), so a small body that inflates past it is a 413 and is never held whole.
import { PassThrough, type Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { AnnalsError } from '../domain/errors.js';

/** The codings the server decodes, by their names in Content-Encoding. */
const DECODERS: Record<string, () => Transform> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

/** What a 415 for a coding lists in Accept-Encoding (RFC 9110, 12.5.3). */
export const ACCEPTED_CODINGS = 'gzip, deflate, br';

/** The body stream Fastify reads, with the encoded bytes received so far (its check of Content-Length reads them). */
type DecodedBody = PassThrough & { receivedEncodedLength: number };

/**
 * The body of `request` to parse: `payload` itself when it is not encoded (or there is no body, or no route), the
 * decoded bytes when it is in one of DECODERS' codings, or an error when it is in another (or in several).
 */
export function requestBody(request: FastifyRequest, payload: Readable): Readable | AnnalsError {
  const header = request.headers['content-encoding'];
  // (A request for no route is left to be answered 404.)
  if (header === undefined || request.is404) return payload;
  const coding = header.trim().toLowerCase();
  if (coding === '' || coding === 'identity') return payload;
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (!hasBody) return payload;
  const decoder = Object.hasOwn(DECODERS, coding) ? DECODERS[coding]() : undefined;
  if (decoder === undefined) {
    return new AnnalsError('ANN_ERR_REQUEST_MEDIA_TYPE',
      `the body is encoded as '${header.slice(0, 100)}', which the server does not decode: send it as one of ${ACCEPTED_CODINGS}, or uncompressed`,
      { parameter: 'Content-Encoding' });
  }
  const body = new PassThrough() as DecodedBody;
  body.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    body.receivedEncodedLength += chunk.length;
  });
  decoder.on('error', (error) => body.destroy(new AnnalsError('ANN_ERR_REQUEST_INVALID',
    `the body is not valid ${coding} data: ${error.message}`, { parameter: 'Content-Encoding' })));
  // Fastify reads the body's errors until it stops reading (a body over the limit): one that comes after that is
  // no one's to answer, and must not end the process.
  body.on('error', () => {});
  payload.pipe(decoder).pipe(body);
  return body;
}
