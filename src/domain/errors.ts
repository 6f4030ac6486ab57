// One catalogue of every error Annals reports, by code. The HTTP layer turns an AnnalsError into an RFC 9457
// problem+json document; the CLI prints its title and detail. Codes are never reused for another meaning.

export const ERRORS = {
  // request shape
  ANN_ERR_REQUEST_MALFORMED_JSON: { status: 400, title: 'Malformed JSON' },
  ANN_ERR_REQUEST_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  ANN_ERR_REQUEST_TOO_LARGE: { status: 413, title: 'Request body too large' },
  ANN_ERR_REQUEST_INVALID: { status: 400, title: 'Invalid request' },
  ANN_ERR_REQUEST_NOT_FOUND: { status: 404, title: 'No such route' },
  ANN_ERR_REQUEST_METHOD: { status: 405, title: 'Method not allowed' },
  ANN_ERR_REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'Request line and headers too large' },
  ANN_ERR_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  ANN_ERR_REQUEST_EXPECTATION: { status: 417, title: 'Expectation failed' },
  // events in
  ANN_ERR_EVENT_INVALID: { status: 400, title: 'Invalid event' },
  ANN_ERR_EVENT_UNKNOWN_ACTION: { status: 422, title: 'Unknown action' },
  ANN_ERR_EVENT_BATCH_EMPTY: { status: 400, title: 'Empty batch' },
  ANN_ERR_EVENT_BATCH_TOO_LARGE: { status: 413, title: 'Batch too large' },
  ANN_ERR_EVENT_NOT_FOUND: { status: 404, title: 'Event not found' },
  ANN_ERR_IDEMPOTENCY_CONFLICT: { status: 409, title: 'Idempotency key reused with a different event' },
  ANN_ERR_IDEMPOTENCY_KEY_INVALID: { status: 400, title: 'Invalid idempotency key' },
  // reads
  ANN_ERR_QUERY_INVALID: { status: 400, title: 'Invalid query parameter' },
  ANN_ERR_QUERY_CURSOR: { status: 400, title: 'Invalid cursor' },
  ANN_ERR_QUERY_SYNTAX: { status: 400, title: 'Invalid search query' },
  ANN_ERR_QUERY_TOO_COSTLY: { status: 422, title: 'Query too costly' },
  // actions
  ANN_ERR_ACTION_INVALID: { status: 400, title: 'Invalid action definition' },
  ANN_ERR_ACTION_EXISTS: { status: 409, title: 'Action already exists' },
  // ledger
  ANN_ERR_CHECKPOINT_NOT_FOUND: { status: 404, title: 'Checkpoint not found' },
  ANN_ERR_CHECKPOINT_KEY: { status: 503, title: 'This node lacks the log\'s signing key' },
  ANN_ERR_PROOF_RANGE: { status: 400, title: 'Proof out of range' },
  // organizations
  ANN_ERR_ORG_NOT_FOUND: { status: 404, title: 'Organization not found' },
  ANN_ERR_ORG_EXISTS: { status: 409, title: 'Organization already exists' },
  ANN_ERR_ORG_INVALID: { status: 400, title: 'Invalid organization' },
  // auth
  ANN_ERR_AUTH_MISSING: { status: 401, title: 'Missing API key' },
  ANN_ERR_AUTH_INVALID: { status: 401, title: 'Invalid API key' },
  ANN_ERR_AUTH_SCOPE: { status: 403, title: 'API key lacks the required scope' },
  ANN_ERR_AUTH_ORG: { status: 403, title: 'API key belongs to another organization' },
  ANN_ERR_KEY_NOT_FOUND: { status: 404, title: 'API key not found' },
  ANN_ERR_KEY_INVALID: { status: 400, title: 'Invalid API key definition' },
  // service
  ANN_ERR_RESTORE_CONFLICT: { status: 409, title: 'The target store does not continue the source' },

  ANN_ERR_SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
  ANN_ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorDetails {
  /** JSON pointer (RFC 6901) of the offending field, e.g. `/actor/id` or `/3/time` in a batch. */
  pointer?: string;
  /** In a batch, the 0-based index of the offending item. */
  index?: number;
  /** The query parameter or header at fault. */
  parameter?: string;
  /** Seconds after which a retry may succeed (a service that is down for now); sent as Retry-After too. */
  retryAfter?: number;
  [extra: string]: unknown;
}

/** What a client is told to wait before retrying when the store or its database does not answer for now. */
const RETRY_AFTER_SECONDS = 5;

export class AnnalsError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, detail: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'AnnalsError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
    this.details = details;
  }
}

export function isAnnalsError(err: unknown): err is AnnalsError {
  return err instanceof AnnalsError;
}

/**
 * The store or its database does not answer for now (a retry may succeed): a 503 that tells clients how long to
 * wait (sent as Retry-After): `seconds` when the wait is known (a writer thread being started again), else 5.
 */
export function unavailableForNow(detail: string, cause?: unknown, seconds = RETRY_AFTER_SECONDS): AnnalsError {
  return new AnnalsError('ANN_ERR_SERVICE_UNAVAILABLE', detail, { retryAfter: seconds }, cause === undefined ? undefined : { cause });
}
