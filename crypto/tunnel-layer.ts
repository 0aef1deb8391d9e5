/**
 * Tunnel layer encryption: the per-hop AES-256 operation on a tunnel message.
 *
 * Spec: ../shared/specs/spec/tunnel-message.rst "Tunnel Message (Encrypted)" (IV 16 bytes + 1008 bytes of
 * data after the 4-byte tunnel ID) and ../shared/specs/docs/tunnels-implementation.html "Participant
 * Processing" / "Gateway Processing" / "Endpoint Processing":
 *
 *   participant (encrypt):  IV = ECB-enc(ivKey, IV); data = CBC-enc(layerKey, IV, data); IV = ECB-enc(ivKey, IV)
 *   creator (decrypt):      IV = ECB-dec(ivKey, IV); data = CBC-dec(layerKey, IV, data); IV = ECB-dec(ivKey, IV)
 *
 * Decrypt is the exact inverse of encrypt. Participants only encrypt; the outbound tunnel gateway (the
 * creator) pre-decrypts with each hop's keys in reverse order, and the inbound endpoint (the creator) decrypts
 * with each hop's keys in order. Matches i2pd 2.45.1 libi2pd/Crypto.cpp `TunnelEncryption::Encrypt` /
 * `TunnelDecryption::Decrypt` (the generic, non-AES-NI branch).
 *
 * Hot path: each TunnelLayer keeps one node:crypto Cipher/Decipher per key and direction for its lifetime
 * (created lazily; no padding, so `update()` can go on indefinitely). A long-lived CBC context chains from the
 * last ciphertext block it saw; each message's own IV is applied by correcting the first block:
 *   encrypt: feed P0 ^ IV ^ Cprev, so the cipher computes E(P0 ^ IV)
 *   decrypt: the decipher outputs D(C0) ^ Cprev; XOR with Cprev ^ IV gives D(C0) ^ IV
 * where Cprev is the last ciphertext block of the previous message in that direction (zeros at first).
 */
import { createCipheriv, createDecipheriv, type Cipher, type Decipher } from 'node:crypto';

export const TUNNEL_IV_SIZE = 16;
/** Encrypted data after the IV (spec: "Encrypted Data :: 1008 bytes"). */
export const TUNNEL_DATA_ENCRYPTED_SIZE = 1008;
/** IV + encrypted data: the part of a TunnelData message after the tunnel ID. */
export const TUNNEL_LAYER_SIZE = TUNNEL_IV_SIZE + TUNNEL_DATA_ENCRYPTED_SIZE;

const ZERO_IV = new Uint8Array(16);
const LAST_BLOCK = TUNNEL_LAYER_SIZE - 16;

export class TunnelLayer {
  readonly #layerKey: Uint8Array;
  readonly #ivKey: Uint8Array;
  #ivEnc: Cipher | undefined;
  #ivDec: Decipher | undefined;
  #layerEnc: Cipher | undefined;
  #layerDec: Decipher | undefined;
  /** Last ciphertext block the long-lived CBC encrypt / decrypt context chained from. */
  readonly #encPrev = new Uint8Array(16);
  readonly #decPrev = new Uint8Array(16);

  constructor(layerKey: Uint8Array, ivKey: Uint8Array) {
    if (layerKey.length !== 32) throw new RangeError('tunnel layer key must be 32 bytes');
    if (ivKey.length !== 32) throw new RangeError('tunnel IV key must be 32 bytes');
    this.#layerKey = Uint8Array.prototype.slice.call(layerKey);
    this.#ivKey = Uint8Array.prototype.slice.call(ivKey);
  }

  /**
   * One participant hop, in place. `msg` is the 1024 bytes after the tunnel ID: IV(16) + data(1008).
   */
  encrypt(msg: Uint8Array): void {
    checkSize(msg);
    const ivEnc = (this.#ivEnc ??= createCipheriv('aes-256-ecb', this.#ivKey, null).setAutoPadding(false));
    const layerEnc = (this.#layerEnc ??= createCipheriv('aes-256-cbc', this.#layerKey, ZERO_IV).setAutoPadding(false));
    const prev = this.#encPrev;
    const iv = ivEnc.update(msg.subarray(0, TUNNEL_IV_SIZE));
    for (let i = 0; i < 16; i++) msg[TUNNEL_IV_SIZE + i]! ^= iv[i]! ^ prev[i]!;
    const ct = layerEnc.update(msg.subarray(TUNNEL_IV_SIZE));
    msg.set(ct, TUNNEL_IV_SIZE);
    prev.set(msg.subarray(LAST_BLOCK));
    msg.set(ivEnc.update(iv), 0);
  }

  /** The inverse of `encrypt`, in place: what the tunnel creator applies for each hop. */
  decrypt(msg: Uint8Array): void {
    checkSize(msg);
    const ivDec = (this.#ivDec ??= createDecipheriv('aes-256-ecb', this.#ivKey, null).setAutoPadding(false));
    const layerDec = (this.#layerDec ??= createDecipheriv('aes-256-cbc', this.#layerKey, ZERO_IV).setAutoPadding(false));
    const prev = this.#decPrev;
    const iv = ivDec.update(msg.subarray(0, TUNNEL_IV_SIZE));
    const pt = layerDec.update(msg.subarray(TUNNEL_IV_SIZE));
    for (let i = 0; i < 16; i++) pt[i]! ^= prev[i]! ^ iv[i]!;
    prev.set(msg.subarray(LAST_BLOCK)); // the ciphertext's last block, before it is overwritten
    msg.set(pt, TUNNEL_IV_SIZE);
    msg.set(ivDec.update(iv), 0);
  }
}

function checkSize(msg: Uint8Array): void {
  if (msg.length !== TUNNEL_LAYER_SIZE) {
    throw new RangeError(`tunnel layer operates on exactly ${TUNNEL_LAYER_SIZE} bytes (IV + data), got ${msg.length}`);
  }
}
