/**
 * Ratchet tag sets: DH_INITIALIZE, the session tag ratchet and the symmetric key ratchet.
 *
 * Spec: ../shared/specs/spec/ecies.rst, "4) Ratchets": "DH INITIALIZATION KDF", "DH RATCHET KDF",
 * "4b) Session Tag Ratchet", "4c) Symmetric Key Ratchet"; "1g) KDF for Reply TagSet".
 * i2pd 2.45.1: libi2pd/ECIESX25519AEADRatchetSession.cpp RatchetTagSet (DHInitialize, NextSessionTagRatchet,
 * GetNextSessionTag, GetSymmKey).
 *
 *   DH_INITIALIZE(rootKey, k):
 *     keydata = HKDF(rootKey, k, "KDFDHRatchetStep", 64); nextRootKey = keydata[0:32]; ck = keydata[32:64]
 *     [sessTag_ck, symmKey_ck] = HKDF(ck, ZEROLEN, "TagAndKeyGenKeys", 64)
 *   Tag ratchet:  [sessTag_chainKey, SESSTAG_CONSTANT] = HKDF(sessTag_ck, ZEROLEN, "STInitialization", 64)
 *                 per tag n: [sessTag_chainKey, tag_n (first 8 bytes)] = HKDF(sessTag_chainKey, SESSTAG_CONSTANT, "SessionTagKeyGen", 64)
 *   Key ratchet:  per key n: [symmKey_chainKey, k_n] = HKDF(symmKey_chainKey, ZEROLEN, "SymmetricRatchet", 64)
 *
 * Index limit as i2pd: GetNextSessionTag refuses once the index counter reaches 65535, so indices 0..65533
 * are usable (MAX_TAG_INDEX). Tag n and key n share index n, which is also the ES AEAD nonce.
 *
 * Receivers derive keys lazily: keyFor(index) ratchets the key chain forward to `index` and keeps the keys of
 * skipped indices (whose tags are still live) until they are used or dropped; the caller bounds how far ahead
 * it may ask (the look-ahead window). keyFor returns the key and a commit function, so a message that fails
 * authentication leaves the tag set unchanged.
 */
import { hkdf } from '../crypto/hash.js';

const EMPTY = new Uint8Array(0);

/** Highest usable tag index (i2pd: GetNextSessionTag fails when its counter reaches 65535). */
export const MAX_TAG_INDEX = 65533;

export interface DhInitialized {
  nextRootKey: Uint8Array;
  sessTagCk: Uint8Array;
  symmKeyCk: Uint8Array;
}

export function dhInitialize(rootKey: Uint8Array, k: Uint8Array): DhInitialized {
  const kd = hkdf(rootKey, k, 'KDFDHRatchetStep', 64);
  const kd2 = hkdf(kd.subarray(32, 64), EMPTY, 'TagAndKeyGenKeys', 64);
  return { nextRootKey: kd.slice(0, 32), sessTagCk: kd2.slice(0, 32), symmKeyCk: kd2.slice(32, 64) };
}

/** tagsetKey for the New Session Reply tag set: HKDF(chainKey, ZEROLEN, "SessionReplyTags", 32). */
export function nsrTagsetKey(chainKey: Uint8Array): Uint8Array {
  return hkdf(chainKey, EMPTY, 'SessionReplyTags', 32);
}

/** tagsetKey after a DH ratchet: HKDF(sharedSecret, ZEROLEN, "XDHRatchetTagSet", 32). */
export function dhRatchetTagsetKey(sharedSecret: Uint8Array): Uint8Array {
  return hkdf(sharedSecret, EMPTY, 'XDHRatchetTagSet', 32);
}

export class RatchetTagSet {
  readonly id: number;
  readonly nextRootKey: Uint8Array;
  private tagChainKey: Uint8Array;
  private readonly tagConstant: Uint8Array;
  /** Index of the next tag nextTag() returns. */
  private nextTagIndex = 0;
  private symmChainKey: Uint8Array;
  /** Index of the next key the key chain yields. */
  private nextKeyIndex = 0;
  /** Keys of indices skipped by the key chain and not yet used (receivers only). */
  private readonly skippedKeys = new Map<number, Uint8Array>();

  constructor(rootKey: Uint8Array, k: Uint8Array, id = 0) {
    const init = dhInitialize(rootKey, k);
    this.id = id;
    this.nextRootKey = init.nextRootKey;
    const st = hkdf(init.sessTagCk, EMPTY, 'STInitialization', 64);
    this.tagChainKey = st.slice(0, 32);
    this.tagConstant = st.slice(32, 64);
    this.symmChainKey = init.symmKeyCk;
  }

  /** Index the next call to nextTag() will return. */
  get nextIndex(): number {
    return this.nextTagIndex;
  }

  get exhausted(): boolean {
    return this.nextTagIndex > MAX_TAG_INDEX;
  }

  /** Next session tag and its index; null when the tag set is exhausted. */
  nextTag(): { index: number; tag: Uint8Array } | null {
    if (this.exhausted) return null;
    const kd = hkdf(this.tagChainKey, this.tagConstant, 'SessionTagKeyGen', 64);
    this.tagChainKey = kd.slice(0, 32);
    const index = this.nextTagIndex++;
    return { index, tag: kd.slice(32, 40) };
  }

  /**
   * Looks up to `n` tags ahead of nextIndex for `match` without changing anything; returns how many tags
   * nextTag() must produce to reach it (1-based), or 0 if not found.
   */
  findAhead(n: number, match: (tag: Uint8Array) => boolean): number {
    let ck = this.tagChainKey;
    for (let i = 0; i < n && this.nextTagIndex + i <= MAX_TAG_INDEX; i++) {
      const kd = hkdf(ck, this.tagConstant, 'SessionTagKeyGen', 64);
      ck = kd.subarray(0, 32);
      if (match(kd.subarray(32, 40))) return i + 1;
    }
    return 0;
  }

  /**
   * Symmetric key for `index`. Returns null if that key was already used or dropped. Nothing changes until
   * `commit()` is called (then the key is forgotten and skipped keys below it are kept for later).
   */
  keyFor(index: number): { key: Uint8Array; commit: () => void } | null {
    if (!Number.isInteger(index) || index < 0 || index > MAX_TAG_INDEX) return null;
    if (index < this.nextKeyIndex) {
      const key = this.skippedKeys.get(index);
      if (!key) return null;
      return { key, commit: () => void this.skippedKeys.delete(index) };
    }
    let ck = this.symmChainKey;
    const skipped: [number, Uint8Array][] = [];
    let key: Uint8Array = EMPTY;
    for (let i = this.nextKeyIndex; i <= index; i++) {
      const kd = hkdf(ck, EMPTY, 'SymmetricRatchet', 64);
      ck = kd.slice(0, 32);
      key = kd.slice(32, 64);
      if (i < index) skipped.push([i, key]);
    }
    const finalCk = ck;
    return {
      key,
      commit: () => {
        for (const [i, k] of skipped) this.skippedKeys.set(i, k);
        this.symmChainKey = finalCk;
        this.nextKeyIndex = index + 1;
      },
    };
  }

  /** Forget the skipped key of `index` (its tag expired or was trimmed). */
  dropKey(index: number): void {
    this.skippedKeys.delete(index);
  }

  /** Number of skipped keys held (for bounds checks in tests). */
  get skippedKeyCount(): number {
    return this.skippedKeys.size;
  }
}
