// Errors of the ledger maths. Each says what mismatched, with hashes in hex, so a failed verification can be
// diagnosed from the message alone. Pure (no dependency on the rest of Annals: callers map these to their own codes).

/** Base class: every error the ledger maths throws on bad input or failed verification. */
export class LedgerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A proof or its parameters are malformed: wrong length, index out of range, sizes out of order, bad hash size. */
export class ProofError extends LedgerError {}

/** A root recomputed from a proof differs from the expected one. */
export class RootMismatchError extends LedgerError {
  /** The root the caller expected, hex. */
  readonly expected: string;
  /** The root computed from the proof, hex. */
  readonly calculated: string;

  constructor(expected: Uint8Array, calculated: Uint8Array, what = 'root') {
    const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength).toString('hex');
    const c = Buffer.from(calculated.buffer, calculated.byteOffset, calculated.byteLength).toString('hex');
    super(`calculated ${what} ${c} does not match expected ${what} ${e}`);
    this.expected = e;
    this.calculated = c;
  }
}

/** A signed note is malformed, carries an invalid signature by a known key, or has no signature by a known key. */
export class NoteError extends LedgerError {}

/** A checkpoint body is malformed. */
export class CheckpointError extends LedgerError {}

/** A checkpoint is validly signed but for another log (origin). */
export class OriginMismatchError extends CheckpointError {
  readonly expected: string;
  readonly actual: string;

  constructor(expected: string, actual: string) {
    super(`checkpoint origin ${JSON.stringify(actual)} does not match expected origin ${JSON.stringify(expected)}`);
    this.expected = expected;
    this.actual = actual;
  }
}
