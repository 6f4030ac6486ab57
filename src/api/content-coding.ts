// Request bodies in a content coding (RFC 9110, 8.4.1): log shippers send gzip, deflate or Brotli, and the server
// decodes them as they arrive. The route's body limit counts the decoded bytes (Fastify's raw body reader checks
// what this stream yields), so a small body that inflates past it is a 413 and is never held whole.
import type { ServerResponse } from 'node:http';
import { finished, PassThrough, type Readable, type Transform } from 'node:stream';
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
 *
 * Decoding stops as soon as the decoded bytes pass `limit` (Fastify then answers 413 and reads no more, but a
 * decoder left running would go on inflating whatever it holds), when the client goes away mid-body (the body then
 * ends in an error, so the request does not wait for bytes that will never come), and when the response is sent:
 * what is left of the request is then read and dropped, as Node does for a body no one read, so that the next
 * request on a kept-alive connection is read.
 */
export function requestBody(request: FastifyRequest, response: ServerResponse, payload: Readable, limit: number): Readable | AnnalsError {
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
  // Fastify reads the body's errors until it stops reading (a body over the limit, a response already sent): one
  // that comes after that is no one's to answer, and must not end the process.
  body.on('error', () => {});
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    payload.unpipe(decoder);
    decoder.destroy();
    if (!payload.readableEnded) payload.resume();
  };
  payload.pipe(decoder).pipe(body);
  payload.on('data', (chunk: Buffer) => {
    body.receivedEncodedLength += chunk.length;
  });
  let decoded = 0;
  decoder.on('data', (chunk: Buffer) => {
    // (The pipe has handed this chunk on already: Fastify sees the body pass its limit and answers 413.)
    decoded += chunk.length;
    if (decoded > limit) stop();
  });
  decoder.on('error', (error) => {
    body.destroy(new AnnalsError('ANN_ERR_REQUEST_INVALID', `the body is not valid ${coding} data: ${error.message}`,
      { parameter: 'Content-Encoding' }));
    stop();
  });
  finished(payload, (error) => {
    if (error && !stopped) {
      body.destroy(new AnnalsError('ANN_ERR_REQUEST_INVALID', 'the body ended before it was whole'));
      stop();
    }
  });
  response.once('close', stop);
  return body;
}
