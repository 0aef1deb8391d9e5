/**
 * AES-256 on node:crypto, no padding: CBC (NTCP2 ephemeral-key obfuscation, spec/ntcp2.rst; tunnel layer)
 * and single-block ECB (tunnel IV encryption, spec/tunnel-message.rst "Layer encryption").
 * Lengths must be multiples of 16 (RangeError otherwise: callers own the framing).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

function check(key: Uint8Array, iv: Uint8Array | null, data: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('AES-256 key must be 32 bytes');
  if (iv && iv.length !== 16) throw new RangeError('AES IV must be 16 bytes');
  if (data.length % 16 !== 0) throw new RangeError('AES data must be a multiple of 16 bytes');
}

export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  check(key, iv, data);
  const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  check(key, iv, data);
  const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
}

export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  check(key, null, data);
  const c = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

export function aesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  check(key, null, data);
  const d = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
}
