// The checkpoint signing keys: Ed25519, kept in `<data dir>/keys/` (one file per key, mode 0600). The newest key
// signs; older keys stay so that checkpoints they signed still verify after a rotation.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnnalsError } from '../domain/errors.js';
import {
  ed25519PrivateKeyFromSeed, isValidName, type NoteSigner, type NoteVerifier, parseSignerKey, parseVerifierKey,
  signerKey, verifierKey,
} from '../ledger/checkpoint.js';

export interface PublicKeyInfo {
  /** The key name (the log's name) as it appears in signature lines. */
  name: string;
  /** The 4-byte key ID, hex, as in the signed note. */
  keyId: string;
  /** The verifier key string, `<name>+<key ID>+<base64 key>`: what an auditor keeps to check checkpoints offline. */
  verifierKey: string;
  createdAt: string;
  active: boolean;
}

interface LoadedKey {
  signer: NoteSigner;
  verifier: NoteVerifier;
  info: PublicKeyInfo;
}

const FILE = /^checkpoint-(\d+)\.key$/;

export class SigningKeys {
  readonly #dir: string;
  readonly #name: string;
  #keys: LoadedKey[] = [];

  private constructor(dir: string, name: string) {
    this.#dir = dir;
    this.#name = name;
  }

  /** Loads the keys in `<dataDir>/keys`, creating the first one (named `name`) if there is none. */
  static open(dataDir: string, name: string): SigningKeys {
    if (!isValidName(name)) {
      throw new AnnalsError('ANN_ERR_INTERNAL', `log name '${name}' is not a valid key name (no spaces, no '+')`);
    }
    const keys = new SigningKeys(join(dataDir, 'keys'), name);
    mkdirSync(keys.#dir, { recursive: true, mode: 0o700 });
    keys.#load();
    if (keys.#keys.length === 0) keys.rotate();
    return keys;
  }

  #load(): void {
    const files = readdirSync(this.#dir).filter((f) => FILE.test(f)).sort((a, b) => fileTime(a) - fileTime(b));
    this.#keys = files.map((file, i) => {
      const text = readFileSync(join(this.#dir, file), 'utf8').trim();
      const signer = parseSignerKey(text);
      const vkey = publicKeyOf(text);
      const verifier = parseVerifierKey(vkey);
      return {
        signer,
        verifier,
        info: {
          name: signer.name, keyId: signer.keyHash.toString('hex'), verifierKey: vkey,
          createdAt: new Date(fileTime(file)).toISOString(), active: i === files.length - 1,
        },
      };
    });
  }

  /** Makes a new key the signing key. Earlier keys stay, for verifying what they signed. */
  rotate(): PublicKeyInfo {
    const { privateKey } = generateKeyPairSync('ed25519');
    let created = Date.now();
    while (this.#keys.some((k) => Date.parse(k.info.createdAt) >= created)) created++;
    const path = join(this.#dir, `checkpoint-${created}.key`);
    writeFileSync(path, `${signerKey(this.#name, privateKey)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
    this.#load();
    return this.#keys[this.#keys.length - 1].info;
  }

  get signer(): NoteSigner {
    return this.#keys[this.#keys.length - 1].signer;
  }

  get verifiers(): NoteVerifier[] {
    return this.#keys.map((k) => k.verifier);
  }

  list(): PublicKeyInfo[] {
    return this.#keys.map((k) => ({ ...k.info }));
  }
}

function fileTime(file: string): number {
  return Number(FILE.exec(file)![1]);
}

/** The verifier key of a (validated) signer key string: the public half, derived from its seed. */
function publicKeyOf(skey: string): string {
  // PRIVATE+KEY+<name>+<id>+<base64>: the base64 itself may hold '+'.
  const parts = skey.split('+');
  const name = parts[2];
  const seed64 = parts.slice(4).join('+');
  const privateKey = ed25519PrivateKeyFromSeed(Buffer.from(seed64, 'base64').subarray(1));
  return verifierKey(name, createPublicKey(privateKey));
}
