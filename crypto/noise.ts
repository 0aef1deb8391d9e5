/**
 * The Noise SymmetricState (Noise Protocol Framework rev. 33, sections 5.1 and 5.2) with SHA-256,
 * HMAC-SHA256 HKDF and ChaCha20-Poly1305, shared by NTCP2, SSU2, tunnel builds and the ratchet.
 *
 * ../shared/specs/spec/ntcp2.rst "Key Derivation Function (KDF) (for handshake message 1)" and following:
 *   InitializeSymmetric(name): h = name padded with zeros to 32 bytes if it fits, else SHA256(name); ck = h.
 *   MixHash(data):  h = SHA256(h || data)
 *   MixKey(ikm):    temp = HMAC(ck, ikm); ck = HMAC(temp, 0x01); k = HMAC(temp, ck || 0x02); n = 0
 *   EncryptAndHash: c = ChaChaPoly(k, n++, ad = h, p); MixHash(c)   (without a key: c = p; MixHash(p))
 *   DecryptAndHash: the same in reverse; MixHash(ciphertext) only after the tag verified.
 *   Split():        temp = HMAC(ck, ""); k1 = HMAC(temp, 0x01); k2 = HMAC(temp, k1 || 0x02)
 * i2pd (libi2pd/Crypto.cpp NoiseSymmetricState, InitNoiseXKState) keeps [ck, k] the same way.
 *
 * NTCP2 prologue and pre-message handling ("MixHash(null prologue)", then MixHash(rs)) are done by the
 * caller with mixHash(): see `ntcp2InitialState` below.
 */
import { chachaDecrypt, chachaEncrypt, nonceFromCounter } from './chacha.js';
import { hkdf, sha256 } from './hash.js';

export const NTCP2_PROTOCOL_NAME = 'Noise_XKaesobfse+hs2+hs3_25519_ChaChaPoly_SHA256';

const EMPTY = new Uint8Array(0);

export class SymmetricState {
  /** Handshake hash (32 bytes). Replaced, never mutated in place, on each mixHash. */
  h: Uint8Array;
  /** Chaining key (32 bytes). */
  ck: Uint8Array;
  /** Current cipher key, or null before the first mixKey. */
  k: Uint8Array | null = null;
  /** Nonce counter for k. */
  n = 0;

  /**
   * InitializeSymmetric(protocolName). Pass `{ h, ck }` instead to resume from precomputed values
   * (e.g. Bob's per-listener state after MixHash(rs)).
   */
  constructor(init: string | Uint8Array | { h: Uint8Array; ck: Uint8Array; k?: Uint8Array | null; n?: number }) {
    if (typeof init === 'string' || init instanceof Uint8Array) {
      const name = typeof init === 'string' ? new TextEncoder().encode(init) : init;
      let h: Uint8Array;
      if (name.length <= 32) {
        h = new Uint8Array(32);
        h.set(name);
      } else {
        h = sha256(name);
      }
      this.h = h;
      this.ck = Uint8Array.prototype.slice.call(h);
    } else {
      if (init.h.length !== 32 || init.ck.length !== 32) throw new RangeError('h and ck must be 32 bytes');
      this.h = Uint8Array.prototype.slice.call(init.h);
      this.ck = Uint8Array.prototype.slice.call(init.ck);
      if (init.k) {
        if (init.k.length !== 32) throw new RangeError('k must be 32 bytes');
        this.k = Uint8Array.prototype.slice.call(init.k);
      }
      this.n = init.n ?? 0;
    }
  }

  /** An independent copy (precomputed per-peer prefixes are cloned, then advanced). */
  clone(): SymmetricState {
    return new SymmetricState({ h: this.h, ck: this.ck, k: this.k, n: this.n });
  }

  /** h = SHA256(h || data...) */
  mixHash(...data: Uint8Array[]): void {
    this.h = sha256(this.h, ...data);
  }

  /** ck, k = HKDF(ck, ikm, "", 64); n = 0. */
  mixKey(ikm: Uint8Array): void {
    const out = hkdf(this.ck, ikm, EMPTY, 64);
    this.ck = out.slice(0, 32);
    this.k = out.slice(32, 64);
    out.fill(0);
    this.n = 0;
  }

  /** EncryptAndHash(plaintext): AEAD with ad = h, then MixHash(ciphertext). */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    let c: Uint8Array;
    if (this.k) {
      c = chachaEncrypt(this.k, nonceFromCounter(this.n), plaintext, this.h);
      this.n++;
    } else {
      c = Uint8Array.prototype.slice.call(plaintext);
    }
    this.mixHash(c);
    return c;
  }

  /**
   * DecryptAndHash(ciphertext): verify with ad = h, then MixHash(ciphertext).
   * Throws CryptoError('BAD_TAG') (state unchanged) when authentication fails.
   */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    let p: Uint8Array;
    if (this.k) {
      p = chachaDecrypt(this.k, nonceFromCounter(this.n), ciphertext, this.h);
      this.n++;
    } else {
      p = Uint8Array.prototype.slice.call(ciphertext);
    }
    this.mixHash(ciphertext);
    return p;
  }

  /** Split(): two 32-byte keys (initiator→responder, responder→initiator). */
  split(): [Uint8Array, Uint8Array] {
    const out = hkdf(this.ck, EMPTY, EMPTY, 64);
    return [out.slice(0, 32), out.slice(32, 64)];
  }

  /** Overwrite key material. */
  wipe(): void {
    this.ck.fill(0);
    this.k?.fill(0);
    this.h.fill(0);
  }
}

/**
 * NTCP2's state before the "e" pattern of message 1 (spec KDF 1): InitializeSymmetric(NTCP2 name),
 * MixHash(empty prologue), MixHash(rs = Bob's static key). Both Alice and Bob start here; Bob can compute
 * it once per listener and `clone()` it per connection.
 */
export function ntcp2InitialState(bobStaticKey: Uint8Array): SymmetricState {
  if (bobStaticKey.length !== 32) throw new RangeError('static key must be 32 bytes');
  const st = new SymmetricState(NTCP2_PROTOCOL_NAME);
  st.mixHash(EMPTY);
  st.mixHash(bobStaticKey);
  return st;
}
