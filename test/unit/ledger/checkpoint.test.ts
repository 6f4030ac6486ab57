import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  MAX_SIGNATURES,
  ed25519KeyHash,
  ed25519PrivateKeyFromSeed,
  ed25519Signer,
  ed25519Verifier,
  formatCheckpoint,
  openNote,
  parseCheckpoint,
  parseSignerKey,
  parseVerifierKey,
  rawPublicKey,
  signNote,
  signerKey,
  verifierKey,
  verifyCheckpoint,
  type Checkpoint,
  type NoteVerifier,
} from '../../../src/ledger/checkpoint.js';
import { CheckpointError, NoteError, OriginMismatchError } from '../../../src/ledger/errors.js';
import { C2SP_CHECKPOINT_EXAMPLE, NOTE_VECTORS, ROOTS_HEX, hex } from './vectors.js';

const ORIGIN = 'annals.example/org/acme';
const cp: Checkpoint = { origin: ORIGIN, size: 8, rootHash: hex(ROOTS_HEX[8]), extensions: [] };
const BODY = `${ORIGIN}\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n`;

const keys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');
const signer = ed25519Signer(ORIGIN, keys.privateKey);
const verifier = ed25519Verifier(ORIGIN, keys.publicKey);

describe('checkpoint body', () => {
  test('format', () => {
    assert.equal(formatCheckpoint(cp), BODY);
    assert.equal(formatCheckpoint({ ...cp, size: 0 }), `${ORIGIN}\n0\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n`);
    assert.equal(formatCheckpoint({ ...cp, extensions: ['ext one', 'two'] }), `${BODY}ext one\ntwo\n`);
  });

  test('parse: round trip', () => {
    assert.deepEqual(parseCheckpoint(BODY), cp);
    const withExt = { ...cp, size: 2 ** 53 - 1, extensions: ['a b c', '— x'] };
    assert.deepEqual(parseCheckpoint(formatCheckpoint(withExt)), withExt);
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !/[\u0000-\u001f]/.test(s)),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (origin, size, root) => {
          const c = { origin, size, rootHash: Buffer.from(root), extensions: [] };
          assert.deepEqual(parseCheckpoint(formatCheckpoint(c)), c);
        },
      ),
    );
  });

  test('parse: the C2SP example body', () => {
    const body = C2SP_CHECKPOINT_EXAMPLE.slice(0, C2SP_CHECKPOINT_EXAMPLE.indexOf('\n\n') + 1);
    const parsed = parseCheckpoint(body);
    assert.equal(parsed.origin, 'example.com/behind-the-sofa');
    assert.equal(parsed.size, 20852163);
    assert.equal(parsed.rootHash.toString('base64'), 'CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
  });

  test('parse: strict', () => {
    const root = 'XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=';
    const bad: [string, RegExp][] = [
      ['', /newline/],
      [`${ORIGIN}\n8\n${root}`, /end with a newline/],
      [`${ORIGIN}\n8\n`, /lines/],
      [`\n8\n${root}\n`, /origin is empty/],
      [`${ORIGIN}\n08\n${root}\n`, /leading zeros/],
      [`${ORIGIN}\n00\n${root}\n`, /leading zeros/],
      [`${ORIGIN}\n+8\n${root}\n`, /decimal/],
      [`${ORIGIN}\n-1\n${root}\n`, /decimal/],
      [`${ORIGIN}\n8.0\n${root}\n`, /decimal/],
      [`${ORIGIN}\n 8\n${root}\n`, /decimal/],
      [`${ORIGIN}\n\n${root}\n`, /decimal/],
      [`${ORIGIN}\n9007199254740992\n${root}\n`, /too large/],
      [`${ORIGIN}\n99999999999999999999\n${root}\n`, /decimal/],
      [`${ORIGIN}\n8\n${root.slice(0, -1)}\n`, /base64/],
      [`${ORIGIN}\n8\n${root.replace('=', '')}\n`, /base64/],
      [`${ORIGIN}\n8\n${root.replace('Q', '_')}\n`, /base64/],
      [`${ORIGIN}\n8\n${root.slice(0, -2)}Z=\n`, /base64/], // non-canonical final bits
      [`${ORIGIN}\n8\n${Buffer.alloc(31).toString('base64')}\n`, /base64 of 32 bytes/],
      [`${ORIGIN}\n8\n${Buffer.alloc(33).toString('base64')}\n`, /base64 of 32 bytes/],
      [`${ORIGIN}\n8\n${root}\n\n`, /extension line 0 is empty/],
      [`${ORIGIN}\r\n8\n${root}\n`, /control character/],
      [`${ORIGIN}\t\n8\n${root}\n`, /control character/],
      [`${ORIGIN}\ud800\n8\n${root}\n`, /lone surrogate/],
    ];
    for (const [body, message] of bad) assert.throws(() => parseCheckpoint(body), (e) => e instanceof CheckpointError && message.test(e.message), JSON.stringify(body));
  });

  test('format: strict', () => {
    assert.throws(() => formatCheckpoint({ ...cp, origin: '' }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, origin: 'a\nb' }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, size: -1 }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, size: 1.5 }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, size: 2 ** 53 }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, rootHash: Buffer.alloc(31) }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, extensions: [''] }), CheckpointError);
    assert.throws(() => formatCheckpoint({ ...cp, extensions: ['a\nb'] }), CheckpointError);
  });
});

describe('signed checkpoints', () => {
  const note = signNote(BODY, [signer]);

  test('sign and verify', () => {
    assert.ok(note.startsWith(`${BODY}\n\u2014 ${ORIGIN} `));
    assert.ok(note.endsWith('\n'));
    assert.deepEqual(verifyCheckpoint(note, [verifier]), cp);
    assert.deepEqual(verifyCheckpoint(note, [verifier], ORIGIN), cp);
    assert.deepEqual(openNote(note, [verifier]), { body: BODY, verifiedBy: [ORIGIN] });
  });

  test('a signature from another key is rejected', () => {
    const impostor = ed25519Verifier(ORIGIN, otherKeys.publicKey);
    // Same name, another key: another key ID, so an unknown signature, ignored: nothing verifies.
    assert.throws(() => verifyCheckpoint(note, [impostor]), /no verifiable signatures/);
    // Signed by the other key, checked with ours.
    const forged = signNote(BODY, [ed25519Signer(ORIGIN, otherKeys.privateKey)]);
    assert.throws(() => verifyCheckpoint(forged, [verifier]), /no verifiable signatures/);
    // Signed by the other key but claiming our key ID: a known key whose signature does not verify.
    const liar = { ...ed25519Signer(ORIGIN, otherKeys.privateKey), keyHash: verifier.keyHash };
    assert.throws(() => verifyCheckpoint(signNote(BODY, [liar]), [verifier]), /invalid signature for key/);
  });

  test('a tampered body is rejected (size, root, origin)', () => {
    const tampered = [
      note.replace('\n8\n', '\n9\n'),
      note.replace('Xcna', 'Ycna'),
      note.replace(ORIGIN, 'annals.example/org/acmf'),
      note.replace(`${BODY}\n`, `${BODY}extra\n\n`),
    ];
    for (const t of tampered) {
      assert.notEqual(t, note);
      assert.throws(() => verifyCheckpoint(t, [verifier]), (e) => e instanceof NoteError && /invalid signature/.test(e.message));
    }
  });

  test('a checkpoint of another log is rejected by its origin', () => {
    const otherBody = formatCheckpoint({ ...cp, origin: 'annals.example/org/globex' });
    const otherNote = signNote(otherBody, [signer]); // same (trusted) key, another origin
    assert.throws(() => verifyCheckpoint(otherNote, [verifier], ORIGIN), (e) => {
      assert.ok(e instanceof OriginMismatchError);
      assert.equal(e.expected, ORIGIN);
      assert.equal(e.actual, 'annals.example/org/globex');
      return true;
    });
    assert.equal(verifyCheckpoint(otherNote, [verifier]).origin, 'annals.example/org/globex');
  });

  test('signatures by unknown keys are ignored; several signatures', () => {
    const witness = ed25519Signer('witness.example/w1', otherKeys.privateKey);
    const both = signNote(BODY, [signer, witness]);
    assert.deepEqual(openNote(both, [verifier]).verifiedBy, [ORIGIN]);
    const witnessVerifier = ed25519Verifier('witness.example/w1', otherKeys.publicKey);
    assert.deepEqual(openNote(both, [verifier, witnessVerifier]).verifiedBy, [ORIGIN, 'witness.example/w1']);
    assert.deepEqual(openNote(both, [witnessVerifier]).verifiedBy, ['witness.example/w1']);
    assert.throws(() => openNote(both, []), /no verifiable signatures/);
  });

  test('malformed notes', () => {
    const sigLine = note.slice(BODY.length + 1);
    const bad = [
      BODY,
      `${BODY}\n`,
      `${BODY}\n${sigLine.slice(0, -1)}`,
      `\u0001${note}`,
      `${BODY}\n- ${sigLine.slice(2)}`,
      `${BODY}\n\u2014 Bad Name ${sigLine.split(' ')[2]}`,
      `${BODY}\n\u2014 ${ORIGIN}\n`,
      `${BODY}\n\u2014 ${ORIGIN} \n`,
      `${BODY}\n\u2014 ${ORIGIN} AAAA\n`, // too short: 3 bytes
      `${BODY}\n\u2014 ${ORIGIN} ${sigLine.split(' ')[2].slice(0, -2)}\n`,
      `${note}Unexpected line.\n`,
      `${BODY}\n${sigLine.repeat(MAX_SIGNATURES + 1)}`,
      'x'.repeat((1 << 20) + 1),
    ];
    for (const m of bad) assert.throws(() => openNote(m, [verifier]), NoteError, JSON.stringify(m.slice(0, 200)));
  });

  test('repeated signatures count once', () => {
    const sigLine = note.slice(BODY.length + 1);
    assert.deepEqual(openNote(`${BODY}\n${sigLine}${sigLine}`, [verifier]).verifiedBy, [ORIGIN]);
  });

  test('ambiguous verifiers are an error when used', () => {
    assert.throws(() => openNote(note, [verifier, ed25519Verifier(ORIGIN, keys.publicKey)]), /ambiguous key/);
  });

  test('signNote checks its input', () => {
    assert.throws(() => signNote('no newline', [signer]), NoteError);
    assert.throws(() => signNote('', [signer]), NoteError);
    assert.throws(() => signNote('a\tb\n', [signer]), NoteError);
    assert.throws(() => signNote(BODY, []), NoteError);
    assert.throws(() => signNote(BODY, [{ ...signer, name: 'bad name' }]), NoteError);
    assert.throws(() => signNote(BODY, [{ ...signer, keyHash: Buffer.alloc(3) }]), NoteError);
  });
});

describe('keys', () => {
  test('key names', () => {
    for (const name of ['', 'a b', 'a+b', 'a\nb', 'a\u00a0b', 'a\u2003b', 'a\u0085b', '\ud800']) {
      assert.throws(() => ed25519Signer(name, keys.privateKey), NoteError, JSON.stringify(name));
      assert.throws(() => ed25519Verifier(name, keys.publicKey), NoteError, JSON.stringify(name));
    }
    for (const name of ['a', 'example.com/log42', 'annals:org/é', '—']) ed25519Verifier(name, keys.publicKey);
  });

  test('key kinds', () => {
    assert.throws(() => ed25519Signer(ORIGIN, keys.publicKey), NoteError);
    assert.throws(() => ed25519Verifier(ORIGIN, keys.privateKey), NoteError);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => ed25519Signer(ORIGIN, ec.privateKey), NoteError);
    assert.throws(() => ed25519Verifier(ORIGIN, ec.publicKey), NoteError);
  });

  test('the key ID is SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4]', () => {
    const raw = rawPublicKey(keys.publicKey);
    assert.equal(raw.length, 32);
    const preimage = Buffer.concat([Buffer.from(ORIGIN, 'utf8'), Buffer.of(0x0a, 0x01), raw]);
    assert.deepEqual(verifier.keyHash, createHash('sha256').update(preimage).digest().subarray(0, 4));
    assert.deepEqual(ed25519KeyHash(ORIGIN, raw), verifier.keyHash);
    assert.deepEqual(signer.keyHash, verifier.keyHash);
  });

  test('verifier key round trip', () => {
    const vkey = verifierKey(ORIGIN, keys.publicKey);
    assert.match(vkey, /^annals\.example\/org\/acme\+[0-9a-f]{8}\+A[Q-Za-f][A-Za-z0-9+/]{42}$/); // base64(0x01 ‖ 32 bytes)
    assert.ok(vkey.startsWith(`${ORIGIN}+${verifier.keyHash.toString('hex')}+`));
    const parsed = parseVerifierKey(vkey);
    assert.equal(parsed.name, ORIGIN);
    assert.deepEqual(parsed.keyHash, verifier.keyHash);
    assert.deepEqual(verifyCheckpoint(signNote(BODY, [signer]), [parsed]), cp);
  });

  test('signer key round trip', () => {
    const skey = signerKey(ORIGIN, keys.privateKey);
    const parsed = parseSignerKey(skey);
    assert.deepEqual(parsed.keyHash, signer.keyHash);
    assert.deepEqual(verifyCheckpoint(signNote(BODY, [parsed]), [verifier]), cp);
  });
});

describe('Go sumdb/note known answers', () => {
  const peterVerifier = parseVerifierKey(NOTE_VECTORS.peterVerifierKey);
  const enochVerifier = parseVerifierKey(NOTE_VECTORS.enochVerifierKey);
  const signed = `${NOTE_VECTORS.text}\n${NOTE_VECTORS.peterSig}`;

  test('the PeterNeumann keys parse, with key ID c74f20a3', () => {
    assert.equal(peterVerifier.name, 'PeterNeumann');
    assert.equal(peterVerifier.keyHash.toString('hex'), 'c74f20a3');
    assert.equal(enochVerifier.keyHash.toString('hex'), 'af0cfe78');
    const peterSigner = parseSignerKey(NOTE_VECTORS.peterSignerKey);
    assert.equal(peterSigner.keyHash.toString('hex'), 'c74f20a3');
  });

  test('signing the example gives the published note, byte for byte', () => {
    const peterSigner = parseSignerKey(NOTE_VECTORS.peterSignerKey);
    assert.equal(signNote(NOTE_VECTORS.text, [peterSigner]), signed);
  });

  test('our key strings of the PeterNeumann key are the published ones', () => {
    const seed = Buffer.from(NOTE_VECTORS.peterSignerKey.split('+').slice(4).join('+'), 'base64').subarray(1);
    const privateKey = ed25519PrivateKeyFromSeed(seed);
    assert.equal(verifierKey('PeterNeumann', createPublicKey(privateKey)), NOTE_VECTORS.peterVerifierKey);
    assert.equal(signerKey('PeterNeumann', privateKey), NOTE_VECTORS.peterSignerKey);
    assert.equal(signNote(NOTE_VECTORS.text, [ed25519Signer('PeterNeumann', privateKey)]), signed);
  });

  test('open: one verified, one unknown; both verified; none', () => {
    const two = `${NOTE_VECTORS.text}\n${NOTE_VECTORS.peterSig}${NOTE_VECTORS.enochSig}`;
    assert.deepEqual(openNote(two, [peterVerifier]), { body: NOTE_VECTORS.text, verifiedBy: ['PeterNeumann'] });
    assert.deepEqual(openNote(two, [peterVerifier, enochVerifier]).verifiedBy, ['PeterNeumann', 'EnochRoot']);
    assert.deepEqual(openNote(two, [enochVerifier]).verifiedBy, ['EnochRoot']);
    assert.throws(() => openNote(two, []), /no verifiable signatures/);
  });

  test('open: an invalid signature by a known key', () => {
    const s = NOTE_VECTORS.peterSig;
    const corrupted = `${NOTE_VECTORS.text}\n${s.slice(0, 60)}ABCD${s.slice(60)}`;
    assert.throws(() => openNote(corrupted, [peterVerifier]), /invalid signature for key PeterNeumann\+c74f20a3/);
  });

  test('open: the malformed messages of TestOpen', () => {
    const { text, peterSig } = NOTE_VECTORS;
    const bad = [
      text,
      `${text}\n`,
      `${text}\n${peterSig.slice(0, -1)}`,
      `\u0001${text}\n${peterSig}`,
      `${text}\n\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=`,
      `${text}\n${peterSig}Unexpected line.\n`,
      `${text}\n${peterSig.repeat(101)}`,
    ];
    for (const m of bad) assert.throws(() => openNote(m, [peterVerifier]), NoteError);
  });

  test('manglings of the verifier key are rejected (TestNewVerifier)', () => {
    const vkey = NOTE_VECTORS.peterVerifierKey;
    for (let i = 0; i <= vkey.length; i++) {
      for (let j = i + 1; j <= vkey.length; j++) {
        if (i === 0 && j === vkey.length) continue;
        assert.throws(() => parseVerifierKey(vkey.slice(i, j)), NoteError, vkey.slice(i, j));
      }
    }
    for (let i = 0; i < vkey.length; i++) {
      const mangled = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
      assert.throws(() => parseVerifierKey(mangled), NoteError, mangled);
    }
    // Wrong key length and unknown algorithm, each with a key ID adjusted to match.
    assert.throws(() => parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='), NoteError);
    assert.throws(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'), NoteError);
  });

  test('manglings of the signer key are rejected (TestNewSigner)', () => {
    const skey = NOTE_VECTORS.peterSignerKey;
    for (let i = 0; i < skey.length; i++) {
      const mangled = skey.slice(0, i) + String.fromCharCode(skey.charCodeAt(i) + 1) + skey.slice(i + 1);
      assert.throws(() => parseSignerKey(mangled), NoteError, mangled);
    }
    for (let j = 1; j < skey.length; j++) assert.throws(() => parseSignerKey(skey.slice(0, j)), NoteError);
  });
});

describe('defensive parsing', () => {
  test('random input never throws anything but NoteError, and never verifies', () => {
    const sig = signNote(BODY, [signer]).slice(BODY.length + 1);
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.string({ unit: 'binary', maxLength: 200 }).map((t) => `${BODY}\n\u2014 ${t}\n`),
      fc.string({ unit: 'binary', maxLength: 200 }).map((t) => `${BODY}\n\u2014 ${ORIGIN} ${t}\n`),
      fc.string({ unit: 'binary', maxLength: 200 }).map((t) => `${t}\n\n${sig}`),
    );
    fc.assert(
      fc.property(input, (s) => {
        try {
          openNote(s, [verifier]);
          assert.fail('verified a random note');
        } catch (e) {
          assert.ok(e instanceof NoteError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('random mutations of a signed note never verify with a changed body', () => {
    const note = signNote(BODY, [signer]);
    fc.assert(
      fc.property(fc.nat({ max: note.length - 1 }), fc.integer({ min: 1, max: 0xffff }), (at, code) => {
        const mutated = note.slice(0, at) + String.fromCharCode(code) + note.slice(at + 1);
        fc.pre(mutated !== note);
        try {
          const opened = openNote(mutated, [verifier]);
          // Only a change to the signature line that keeps it valid could pass: the body must be unchanged.
          assert.equal(opened.body, BODY);
        } catch (e) {
          assert.ok(e instanceof NoteError || e instanceof CheckpointError, String(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('verifiers need not be from this module', () => {
    const custom: NoteVerifier = { name: verifier.name, keyHash: verifier.keyHash, verify: () => false };
    assert.throws(() => openNote(signNote(BODY, [signer]), [custom]), /invalid signature/);
  });
});
