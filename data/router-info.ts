/**
 * RouterAddress and RouterInfo.
 *
 * Spec: ../shared/specs/spec/common-structures.rst, "RouterAddress" and "RouterInfo".
 *
 * Decisions / deviations (ground truth: i2pd 2.45.1 libi2pd/RouterInfo.cpp):
 * - The signature is the last `signatureLength` bytes and covers everything before it. Parsing requires the
 *   body to end exactly where the signature starts (no trailing bytes): i2pd verifies the signature at
 *   `len - sigLen`, so anything else fails verification there too.
 * - A RouterInfo larger than 3072 bytes is ParseError('TOO_LARGE') (i2pd MAX_RI_BUFFER_SIZE).
 * - RouterAddress expiration: the spec says "must be all zeros"; i2pd reads and ignores it. Parsing keeps any
 *   value (it is covered by the signature) as a bigint; buildRouterInfo always writes 0.
 * - peer_size: the spec says always 0; i2pd skips `peer_size` 32-byte hashes. Parsing keeps them (`peers`)
 *   so the structure re-serializes byte-identically; buildRouterInfo writes 0.
 * - Mappings keep wire order and duplicates (see primitives.ts); buildRouterInfo sorts keys.
 * - `parseRouterInfo` does not verify the signature; call `verifyRouterInfo` (netdb decides policy).
 */
import { Reader, Writer } from './bytes.js';
import { type KeysAndCert, type RouterIdentity, readKeysAndCert, signatureLength } from './identity.js';
import { type Signer, verifySignature } from './key-types.js';
import {
  type Mapping,
  buildMapping,
  checkUint,
  mappingGet,
  readDate,
  readMapping,
  readString,
  sizeOfMapping,
  sizeOfString,
  writeDate,
  writeMapping,
  writeString,
} from './primitives.js';

export const MAX_ROUTER_INFO_SIZE = 3072;

export interface RouterAddress {
  readonly cost: number;
  /** 8-byte Date; always 0 in practice. */
  readonly expiration: bigint;
  readonly transportStyle: string;
  readonly options: Mapping;
}

export interface RouterInfo {
  readonly identity: RouterIdentity;
  /** Date: ms since the epoch. */
  readonly published: number;
  readonly addresses: readonly RouterAddress[];
  /** Unused peer hashes (peer_size); empty in practice. */
  readonly peers: readonly Uint8Array[];
  readonly options: Mapping;
  readonly signature: Uint8Array;
  /** The complete serialized RouterInfo (what was parsed or built). */
  readonly raw: Uint8Array;
}

export function readRouterAddress(r: Reader): RouterAddress {
  const cost = r.u8();
  const expiration = r.u64();
  const transportStyle = r.at('transport_style', () => readString(r));
  const options = r.at('options', () => readMapping(r));
  return { cost, expiration, transportStyle, options };
}

export function sizeOfRouterAddress(a: RouterAddress): number {
  return 1 + 8 + sizeOfString(a.transportStyle) + sizeOfMapping(a.options);
}

export function writeRouterAddress(w: Writer, a: RouterAddress): void {
  if (a.expiration < 0n || a.expiration >= 1n << 64n) throw new RangeError('expiration out of range');
  w.u8(checkUint(a.cost, 8, 'cost')).u64(a.expiration);
  writeString(w, a.transportStyle);
  writeMapping(w, a.options);
}

/** Size of everything before the signature. */
function sizeOfBody(ri: Omit<RouterInfo, 'signature' | 'raw'>): number {
  let n = ri.identity.bytes.length + 8 + 1;
  for (const a of ri.addresses) n += sizeOfRouterAddress(a);
  n += 1 + 32 * ri.peers.length + sizeOfMapping(ri.options);
  return n;
}

function writeBody(w: Writer, ri: Omit<RouterInfo, 'signature' | 'raw'>): void {
  if (ri.addresses.length > 255) throw new RangeError('more than 255 addresses');
  if (ri.peers.length > 255) throw new RangeError('more than 255 peers');
  w.bytes(ri.identity.bytes);
  writeDate(w, ri.published);
  w.u8(ri.addresses.length);
  for (const a of ri.addresses) writeRouterAddress(w, a);
  w.u8(ri.peers.length);
  for (const p of ri.peers) {
    if (p.length !== 32) throw new RangeError('peer hash must be 32 bytes');
    w.bytes(p);
  }
  writeMapping(w, ri.options);
}

/** Parse a RouterInfo (exact length, signature not checked). Keeps a copy of the bytes in `raw`. */
export function parseRouterInfo(bytes: Uint8Array): RouterInfo {
  const r = new Reader(bytes, 'RouterInfo');
  if (bytes.length > MAX_ROUTER_INFO_SIZE) r.fail('TOO_LARGE', `RouterInfo of ${bytes.length} bytes`, 0);
  const identity = r.at('identity', () => readKeysAndCert(r));
  const published = r.at('published', () => readDate(r));
  const n = r.u8();
  const addresses: RouterAddress[] = [];
  for (let i = 0; i < n; i++) addresses.push(r.at(`addresses[${i}]`, () => readRouterAddress(r)));
  const peers: Uint8Array[] = [];
  const np = r.u8();
  for (let i = 0; i < np; i++) peers.push(r.at(`peers[${i}]`, () => r.copy(32)));
  const options = r.at('options', () => readMapping(r));
  const signature = r.at('signature', () => r.copy(signatureLength(identity), 'signature'));
  r.finish();
  return { identity, published, addresses, peers, options, signature, raw: Uint8Array.prototype.slice.call(bytes) };
}

/** Re-encode from the fields (byte-identical to `raw` for anything parsed). */
export function serializeRouterInfo(ri: RouterInfo): Uint8Array {
  const w = new Writer(sizeOfBody(ri) + ri.signature.length);
  writeBody(w, ri);
  w.bytes(ri.signature);
  return w.done();
}

/** Verify the signature over everything before it, with the identity's signing key. Never throws. */
export function verifyRouterInfo(ri: RouterInfo): boolean {
  const sigLen = ri.signature.length;
  if (ri.raw.length <= sigLen) return false;
  const body = ri.raw.subarray(0, ri.raw.length - sigLen);
  const sig = ri.raw.subarray(ri.raw.length - sigLen);
  return verifySignature(ri.identity.sigType, ri.identity.signingPublicKey, body, sig);
}

export interface RouterAddressInput {
  cost: number;
  transportStyle: string;
  options: Record<string, string> | Iterable<readonly [string, string]>;
}

/**
 * Build and sign a RouterInfo: mapping keys sorted, address expirations 0, no peers. `signer` must sign
 * with the identity's signing key (its output length is checked against the identity's type).
 */
export function buildRouterInfo(
  input: {
    identity: KeysAndCert;
    published: number;
    addresses: readonly RouterAddressInput[];
    options: Record<string, string> | Iterable<readonly [string, string]>;
  },
  signer: Signer,
): RouterInfo {
  const body = {
    identity: input.identity,
    published: input.published,
    addresses: input.addresses.map((a) => ({
      cost: checkUint(a.cost, 8, 'cost'),
      expiration: 0n,
      transportStyle: a.transportStyle,
      options: buildMapping(a.options),
    })),
    peers: [] as Uint8Array[],
    options: buildMapping(input.options),
  };
  const sigLen = signatureLength(input.identity);
  const w = new Writer(sizeOfBody(body) + sigLen);
  writeBody(w, body);
  const signature = signer.sign(w.buf.subarray(0, w.pos));
  if (signature.length !== sigLen) throw new RangeError(`signer returned ${signature.length} bytes, expected ${sigLen}`);
  w.bytes(signature);
  return { ...body, signature: Uint8Array.prototype.slice.call(signature), raw: w.done() };
}

/** The router hash (SHA-256 of the RouterIdentity): the netDb key. */
export function routerInfoHash(ri: RouterInfo): Uint8Array {
  return ri.identity.hash;
}

/** The router's `caps` option ('' when absent), e.g. 'XfR'. */
export function routerInfoCaps(ri: RouterInfo): string {
  return mappingGet(ri.options, 'caps') ?? '';
}

/** `netId` as a number, undefined when absent or not a decimal integer. */
export function routerInfoNetId(ri: RouterInfo): number | undefined {
  const v = mappingGet(ri.options, 'netId');
  return v !== undefined && /^[0-9]{1,9}$/.test(v) ? Number(v) : undefined;
}

/** `router.version`, e.g. '0.9.57'. */
export function routerInfoVersion(ri: RouterInfo): string | undefined {
  return mappingGet(ri.options, 'router.version');
}

export function isFloodfill(ri: RouterInfo): boolean {
  return routerInfoCaps(ri).includes('f');
}

/** Value of an address option (last one wins with duplicates). */
export function addressOption(a: RouterAddress, key: string): string | undefined {
  return mappingGet(a.options, key);
}
