// Checkpoints (C2SP tlog-checkpoint) and the signed notes that carry them (C2SP signed-note, the format of Go's
// golang.org/x/mod/sumdb/note), with Ed25519 keys. Pure: node:crypto only, no I/O.
//
// A checkpoint body is
//
//   <origin>\n<tree size, decimal>\n<base64 root hash>\n[<extension line>\n]*
//
// and a signed note is the body, a blank line, and one or more signature lines
//
//   — <key name> <base64(4-byte key ID ‖ signature)>\n
//
// (em dash U+2014, space). The Ed25519 key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)[:4]; a verifier
// key is written `<name>+<key ID, 8 hex>+<base64(0x01 ‖ public key)>`. Notes come from outside: they are parsed
// with bounded sizes and counts, with plain string operations, and every field is checked strictly.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { CheckpointError, NoteError, OriginMismatchError } from './errors.js';
import { HASH_SIZE } from './hasher.js';

export interface Checkpoint {
  /** The log's identity, e.g. `annals.example/org/acme`. Non-empty, one line. */
  origin: string;
  /** The number of leaves in the tree. */
  size: number;
  /** The RFC 9162 root of the tree of that size. */
  rootHash: Buffer;
  /** Opaque extra lines after the root, each non-empty (normally none). */
  extensions: string[];
}

/** A signer of notes: a key name, its 4-byte key ID, and a signing function over the note text. */
export interface NoteSigner {
  readonly name: string;
  readonly keyHash: Buffer;
  sign(message: Buffer): Buffer;
}

/** A verifier of notes: a key name, its 4-byte key ID, and a check of a signature over the note text. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyHash: Buffer;
  verify(message: Buffer, signature: Buffer): boolean;
}

/** The result of opening a note: its text and the names of the known keys whose signatures verified. */
export interface OpenedNote {
  body: string;
  verifiedBy: string[];
}

/** Longest note accepted (UTF-16 code units), so a hostile note cannot make us parse or hash without bound. */
export const MAX_NOTE_LENGTH = 1 << 20;
/** Most signature lines accepted in a note (signed-note requires at least 16; Go's note package allows 100). */
export const MAX_SIGNATURES = 100;
/** Longest verifier or signer key string accepted. */
const MAX_KEY_LENGTH = 4096;

const SIGNATURE_PREFIX = '\u2014 ';
const ALG_ED25519 = 0x01;
const KEY_HASH_SIZE = 4;
const ED25519_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
/** DER PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410): this prefix, then the seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

// Fixed patterns only: nothing is ever compiled from input.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const HEX8 = /^[0-9a-fA-F]{8}$/;
/** Unicode spaces (\s, plus U+0085 which Go's unicode.IsSpace also counts) and `+`. */
const NAME_FORBIDDEN = /[\s\u0085+]/u;

// ---------------------------------------------------------------------------------------------------------------
// Checkpoints

/**
 * The checkpoint body. Requires a non-empty one-line origin, a safe integer size >= 0, a 32-byte root hash and
 * non-empty one-line extensions, all free of control characters; throws a CheckpointError otherwise.
 */
export function formatCheckpoint(cp: Checkpoint): string {
  checkLine(cp.origin, 'origin');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) {
    throw new CheckpointError(`tree size must be a safe integer >= 0, got ${String(cp.size)}`);
  }
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== HASH_SIZE) {
    throw new CheckpointError(`root hash must be ${HASH_SIZE} bytes`);
  }
  let body = `${cp.origin}\n${cp.size}\n${Buffer.from(cp.rootHash).toString('base64')}\n`;
  for (const [i, line] of (cp.extensions ?? []).entries()) {
    checkLine(line, `extension line ${i}`);
    body += `${line}\n`;
  }
  return body;
}

/**
 * Parses a checkpoint body strictly: at least three non-empty lines each ending in a newline; a non-empty origin;
 * a decimal size without leading zeros (except "0") that is a safe integer; a canonical base64 root of 32 bytes;
 * non-empty extension lines; no control characters. Throws a CheckpointError saying what is wrong.
 */
export function parseCheckpoint(body: string): Checkpoint {
  if (typeof body !== 'string') throw new CheckpointError('checkpoint body must be a string');
  if (body.length > MAX_NOTE_LENGTH) throw new CheckpointError(`checkpoint body longer than ${MAX_NOTE_LENGTH}`);
  if (!body.endsWith('\n')) throw new CheckpointError('checkpoint body must end with a newline');
  const bad = badCharacter(body);
  if (bad !== undefined) throw new CheckpointError(`checkpoint body has ${bad}`);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError(`checkpoint body has ${lines.length} lines, want at least 3`);
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin === '') throw new CheckpointError('checkpoint origin is empty');
  if (sizeText.length > 16 || !DECIMAL.test(sizeText)) {
    throw new CheckpointError(`checkpoint tree size ${JSON.stringify(sizeText.slice(0, 32))} is not a decimal without leading zeros`);
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new CheckpointError(`checkpoint tree size ${sizeText} is too large`);
  const rootHash = decodeBase64(rootText);
  if (rootHash === undefined || rootHash.length !== HASH_SIZE) {
    throw new CheckpointError(`checkpoint root hash ${JSON.stringify(rootText.slice(0, 64))} is not the base64 of ${HASH_SIZE} bytes`);
  }
  for (const [i, line] of extensions.entries()) {
    if (line === '') throw new CheckpointError(`checkpoint extension line ${i} is empty`);
  }
  return { origin, size, rootHash, extensions };
}

/**
 * Opens a signed checkpoint: checks the note's signatures (see openNote), parses the body (see parseCheckpoint) and,
 * when `expectedOrigin` is given, that the checkpoint is for that log (OriginMismatchError otherwise: this is what
 * rejects a checkpoint of another organisation's log signed by a trusted key).
 */
export function verifyCheckpoint(note: string, verifiers: readonly NoteVerifier[], expectedOrigin?: string): Checkpoint {
  const { body } = openNote(note, verifiers);
  const cp = parseCheckpoint(body);
  if (expectedOrigin !== undefined && cp.origin !== expectedOrigin) throw new OriginMismatchError(expectedOrigin, cp.origin);
  return cp;
}

// ---------------------------------------------------------------------------------------------------------------
// Signed notes

/**
 * Signs `body` (the note text: non-empty, ending in a newline, no control characters other than newline) with
 * each signer, in order, and returns the signed note. Throws a NoteError on a malformed body or signer.
 */
export function signNote(body: string, signers: readonly NoteSigner[]): string {
  if (typeof body !== 'string' || body === '' || !body.endsWith('\n')) {
    throw new NoteError('note text must be non-empty and end with a newline');
  }
  if (body.length > MAX_NOTE_LENGTH) throw new NoteError(`note text longer than ${MAX_NOTE_LENGTH}`);
  const bad = badCharacter(body);
  if (bad !== undefined) throw new NoteError(`note text has ${bad}`);
  if (signers.length === 0) throw new NoteError('a note needs at least one signer');
  if (signers.length > MAX_SIGNATURES) throw new NoteError(`more than ${MAX_SIGNATURES} signers`);
  const message = Buffer.from(body, 'utf8');
  let note = `${body}\n`;
  for (const signer of signers) {
    checkName(signer.name, NoteError);
    if (signer.keyHash.length !== KEY_HASH_SIZE) throw new NoteError(`key ID of ${signer.name} must be ${KEY_HASH_SIZE} bytes`);
    const signature = signer.sign(message);
    note += `${SIGNATURE_PREFIX}${signer.name} ${Buffer.concat([signer.keyHash, signature]).toString('base64')}\n`;
  }
  return note;
}

/**
 * The keys a signed note's signature lines name, as `<name>+<key ID hex>`, whether or not their signatures verify
 * (lines that are not well-formed are skipped): who claims to have signed it.
 */
export function noteSigners(note: string): string[] {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return [];
  const out: string[] = [];
  for (const line of note.slice(split + 2).split('\n')) {
    if (!line.startsWith(SIGNATURE_PREFIX)) continue;
    const [name, sig] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    const raw = sig === undefined ? undefined : decodeBase64(sig);
    if (raw !== undefined && raw.length > KEY_HASH_SIZE) out.push(`${name}+${raw.subarray(0, KEY_HASH_SIZE).toString('hex')}`);
  }
  return out;
}

/**
 * Opens a signed note (C2SP signed-note): parses it, and checks every signature whose key name and key ID match a
 * verifier. Signatures by unknown keys are ignored; a signature by a known key that does not verify is an error;
 * at least one known key must have signed. Repeated signatures by one key count once. Throws a NoteError when the
 * note is malformed, too large, has an invalid signature by a known key, or no valid signature by a known key.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  if (typeof note !== 'string') throw new NoteError('note must be a string');
  if (note.length > MAX_NOTE_LENGTH) throw new NoteError(`note longer than ${MAX_NOTE_LENGTH}`);
  const bad = badCharacter(note);
  if (bad !== undefined) throw new NoteError(`malformed note: it has ${bad}`);

  // The text ends at the last blank line; the signature block follows it and ends with a newline.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw new NoteError('malformed note: no blank line before the signatures');
  const body = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw new NoteError('malformed note: no signature lines, or no final newline');

  const known = new Map<string, NoteVerifier | 'ambiguous'>();
  for (const v of verifiers) {
    const key = `${v.name}+${Buffer.from(v.keyHash).toString('hex')}`;
    known.set(key, known.has(key) ? 'ambiguous' : v);
  }

  const message = Buffer.from(body, 'utf8');
  const verifiedBy: string[] = [];
  const seen = new Set<string>();
  let count = 0;
  let pos = 0;
  while (pos < block.length) {
    const eol = block.indexOf('\n', pos); // found: block ends with '\n'
    const line = block.slice(pos, eol);
    pos = eol + 1;
    if (++count > MAX_SIGNATURES) throw new NoteError(`malformed note: more than ${MAX_SIGNATURES} signatures`);
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new NoteError(`malformed note: signature line ${count} does not start with "— "`);
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) throw new NoteError(`malformed note: signature line ${count} has no signature`);
    const name = rest.slice(0, space);
    if (!isValidName(name)) throw new NoteError(`malformed note: signature line ${count} has an invalid key name`);
    const raw = decodeBase64(rest.slice(space + 1));
    if (raw === undefined || raw.length <= KEY_HASH_SIZE) {
      throw new NoteError(`malformed note: signature line ${count} (${name}) is not base64 of a key ID and a signature`);
    }
    const keyHash = raw.subarray(0, KEY_HASH_SIZE);
    const key = `${name}+${keyHash.toString('hex')}`;
    const verifier = known.get(key);
    if (verifier === undefined) continue; // unknown key: ignored, as the spec requires
    if (verifier === 'ambiguous') throw new NoteError(`ambiguous key ${key}: more than one verifier has this name and key ID`);
    if (seen.has(key)) continue;
    seen.add(key);
    if (!verifier.verify(message, raw.subarray(KEY_HASH_SIZE))) throw new NoteError(`invalid signature for key ${key}`);
    verifiedBy.push(name);
  }
  if (verifiedBy.length === 0) throw new NoteError('note has no verifiable signatures: none is by a known key');
  return { body, verifiedBy };
}

// ---------------------------------------------------------------------------------------------------------------
// Ed25519 keys

/** The 4-byte key ID of an Ed25519 key: SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]. */
export function ed25519KeyHash(name: string, rawPublicKey: Uint8Array): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Uint8Array.of(0x0a, ALG_ED25519))
    .update(rawPublicKey)
    .digest()
    .subarray(0, KEY_HASH_SIZE);
}

/** A note signer with an Ed25519 private key. Throws a NoteError on an invalid name or a key of another kind. */
export function ed25519Signer(name: string, privateKey: KeyObject): NoteSigner {
  checkName(name, NoteError);
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new NoteError('an Ed25519 signer needs an Ed25519 private key');
  }
  const keyHash = ed25519KeyHash(name, rawPublicKey(createPublicKey(privateKey)));
  return {
    name,
    keyHash,
    sign: (message: Buffer): Buffer => cryptoSign(null, message, privateKey),
  };
}

/** A note verifier with an Ed25519 public key. Throws a NoteError on an invalid name or a key of another kind. */
export function ed25519Verifier(name: string, publicKey: KeyObject): NoteVerifier {
  checkName(name, NoteError);
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519') {
    throw new NoteError('an Ed25519 verifier needs an Ed25519 public key');
  }
  const keyHash = ed25519KeyHash(name, rawPublicKey(publicKey));
  return {
    name,
    keyHash,
    verify: (message: Buffer, signature: Buffer): boolean => {
      if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
      try {
        return cryptoVerify(null, message, publicKey, signature);
      } catch {
        return false;
      }
    },
  };
}

/** The verifier key string `<name>+<key ID hex>+<base64(0x01 ‖ public key)>` of an Ed25519 public key. */
export function verifierKey(name: string, publicKey: KeyObject): string {
  const v = ed25519Verifier(name, publicKey);
  const encoded = Buffer.concat([Uint8Array.of(ALG_ED25519), rawPublicKey(publicKey)]).toString('base64');
  return `${name}+${v.keyHash.toString('hex')}+${encoded}`;
}

/**
 * Parses a verifier key string (`<name>+<8 hex key ID>+<base64(0x01 ‖ 32-byte Ed25519 public key)>`). The key ID
 * must be the one the name and key imply. Throws a NoteError if anything is off.
 */
export function parseVerifierKey(vkey: string): NoteVerifier {
  if (typeof vkey !== 'string' || vkey.length > MAX_KEY_LENGTH) throw new NoteError('malformed verifier key');
  const [name, hashHex, keyBase64] = splitKey(vkey, 3, NoteError, 'verifier key');
  const raw = decodeBase64(keyBase64);
  if (!isValidName(name) || !HEX8.test(hashHex) || raw === undefined || raw.length === 0) {
    throw new NoteError('malformed verifier key');
  }
  if (raw[0] !== ALG_ED25519) throw new NoteError(`unknown verifier key algorithm ${raw[0]}`);
  if (raw.length !== 1 + ED25519_KEY_SIZE) throw new NoteError('malformed verifier key: wrong Ed25519 key length');
  const publicKey = rawToPublicKey(raw.subarray(1));
  const verifier = ed25519Verifier(name, publicKey);
  if (verifier.keyHash.toString('hex') !== hashHex.toLowerCase()) {
    throw new NoteError(`verifier key ID ${hashHex} does not match its name and key (${verifier.keyHash.toString('hex')})`);
  }
  return verifier;
}

/**
 * The signer key string `PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 ‖ 32-byte seed)>` of an Ed25519 private key
 * (the format of Go's note.GenerateKey). Secret: whoever has it can sign.
 */
export function signerKey(name: string, privateKey: KeyObject): string {
  const signer = ed25519Signer(name, privateKey);
  const seed = Buffer.from(String(privateKey.export({ format: 'jwk' }).d), 'base64url');
  const encoded = Buffer.concat([Uint8Array.of(ALG_ED25519), seed]).toString('base64');
  return `PRIVATE+KEY+${name}+${signer.keyHash.toString('hex')}+${encoded}`;
}

/** Parses a signer key string (see signerKey); the key ID must match. Throws a NoteError if anything is off. */
export function parseSignerKey(skey: string): NoteSigner {
  if (typeof skey !== 'string' || skey.length > MAX_KEY_LENGTH) throw new NoteError('malformed signer key');
  const [private1, private2, name, hashHex, keyBase64] = splitKey(skey, 5, NoteError, 'signer key');
  const raw = decodeBase64(keyBase64);
  if (private1 !== 'PRIVATE' || private2 !== 'KEY' || !isValidName(name) || !HEX8.test(hashHex) || raw === undefined || raw.length === 0) {
    throw new NoteError('malformed signer key');
  }
  if (raw[0] !== ALG_ED25519) throw new NoteError(`unknown signer key algorithm ${raw[0]}`);
  if (raw.length !== 1 + ED25519_KEY_SIZE) throw new NoteError('malformed signer key: wrong Ed25519 seed length');
  const signer = ed25519Signer(name, ed25519PrivateKeyFromSeed(raw.subarray(1)));
  if (signer.keyHash.toString('hex') !== hashHex.toLowerCase()) {
    throw new NoteError(`signer key ID ${hashHex} does not match its name and key (${signer.keyHash.toString('hex')})`);
  }
  return signer;
}

/** The Ed25519 private key with this 32-byte seed (RFC 8032 private key). */
export function ed25519PrivateKeyFromSeed(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_KEY_SIZE) throw new NoteError(`an Ed25519 seed is ${ED25519_KEY_SIZE} bytes`);
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The 32-byte RFC 8032 encoding of an Ed25519 public key. */
export function rawPublicKey(publicKey: KeyObject): Buffer {
  const x = publicKey.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new NoteError('not an Ed25519 public key');
  return Buffer.from(x, 'base64url');
}

function rawToPublicKey(raw: Uint8Array): KeyObject {
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
      format: 'jwk',
    });
  } catch {
    throw new NoteError('malformed verifier key: not an Ed25519 public key');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing helpers

/** Whether name is a valid key name: non-empty, well-formed, no Unicode spaces (so no newline), no `+`. */
export function isValidName(name: string): boolean {
  return typeof name === 'string' && name !== '' && !NAME_FORBIDDEN.test(name) && badCharacter(name) === undefined;
}

function checkName(name: string, E: new (message: string) => Error): void {
  if (!isValidName(name)) throw new E(`invalid key name ${JSON.stringify(name)}: it must be non-empty, without spaces or "+"`);
}

/** Throws unless line is a non-empty line free of control characters and lone surrogates. */
function checkLine(line: string, what: string): void {
  if (typeof line !== 'string' || line === '') throw new CheckpointError(`checkpoint ${what} must be a non-empty string`);
  if (line.includes('\n')) throw new CheckpointError(`checkpoint ${what} must not contain a newline`);
  const bad = badCharacter(line);
  if (bad !== undefined) throw new CheckpointError(`checkpoint ${what} has ${bad}`);
}

/**
 * A description of the first character a note may not contain (an ASCII control character other than newline, or
 * a lone surrogate, which has no UTF-8 encoding), or undefined if there is none.
 */
function badCharacter(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      if (c !== 0x0a) return `a control character U+${c.toString(16).padStart(4, '0')} at ${i}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) return `a lone surrogate at ${i}`;
      i++;
    }
  }
  return undefined;
}

/** Strict standard base64 (RFC 4648 §4, padded, canonical): the bytes, or undefined. */
function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !BASE64.test(s)) return undefined;
  const bytes = Buffer.from(s, 'base64');
  return bytes.toString('base64') === s ? bytes : undefined;
}

/** Splits s at its first parts - 1 `+` signs (the last part keeps any further `+`, as base64 may contain them). */
function splitKey(s: string, parts: number, E: new (message: string) => Error, what: string): string[] {
  const out: string[] = [];
  let pos = 0;
  for (let i = 0; i < parts - 1; i++) {
    const plus = s.indexOf('+', pos);
    if (plus < 0) throw new E(`malformed ${what}`);
    out.push(s.slice(pos, plus));
    pos = plus + 1;
  }
  out.push(s.slice(pos));
  return out;
}
