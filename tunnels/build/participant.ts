/**
 * Tunnel hop (participant) side of a build: find and decrypt our record in a ShortTunnelBuild (25) or
 * VariableTunnelBuild (23), write our reply into the records, and say where the message goes next.
 * Sans-IO: the caller decides accept/reject (transit limits, bandwidth) between `openBuildRequest` and
 * `sealBuildReply`, creates the transit tunnel with the returned keys, and sends `buildForward`'s message.
 *
 * Spec: ../shared/specs/spec/tunnel-creation-ecies.rst "Short Record Specification" → "Message Flow", "KDF",
 * "Record Encryption"; "Long Record Specification" → "Reply Record Encryption", "Symmetric Encryption of Records".
 * i2pd 2.45.1: libi2pd/I2NPProtocol.cpp HandleShortTunnelBuildMsg, HandleBuildRequestRecords,
 * HandleVariableTunnelBuildMsg.
 *
 * As in i2pd: the first record whose toPeer matches is ours, and if it does not decrypt the whole message is
 * dropped (no other record is tried); a short record with a layer encryption type other than 0 (AES) is
 * dropped without a reply; the OBEP sends OutboundTunnelBuildReply (26) / VariableTunnelBuildReply (24)
 * through a TunnelGateway message to (nextIdent, nextTunnelId) — a short one garlic-wrapped with the
 * "RGarlicKeyAndTag" key/tag unless nextIdent is us; everyone else sends the same build type on to nextIdent
 * with msgId = nextMsgId.
 */
import { ParseError } from '../../data/errors.js';
import type { Mapping } from '../../data/primitives.js';
import { I2NPType, type I2NPMessage } from '../../i2np/header.js';
import { BuildFormat, serializeTunnelBuildRecords } from '../../i2np/tunnel-build.js';
import type { Random } from '../../crypto/random.js';
import {
  BUILD_FLAG_IBGW,
  BUILD_FLAG_OBEP,
  LAYER_ENCRYPTION_AES,
  LONG_RECORD_SIZE,
  SHORT_RECORD_SIZE,
  encryptOtherRecord,
  sealReplyRecord,
  type BuildRecordDecryptor,
  type ParsedBuildRequest,
  type ReplyCrypto,
} from './records.js';

export type HopRole = 'ibgw' | 'obep' | 'participant';

export interface OpenedBuildRequest {
  /** Our record's position in the message. */
  index: number;
  format: 'short' | 'long';
  role: HopRole;
  request: ParsedBuildRequest;
  /** The transit tunnel's layer keys (never log). */
  layerKey: Uint8Array;
  ivKey: Uint8Array;
  reply: ReplyCrypto;
  /** OBEP of a short build: key and 8-byte tag to garlic-wrap the OutboundTunnelBuildReply with. */
  garlicReply?: { key: Uint8Array; tag: Uint8Array };
}

/**
 * Find our record and decrypt it. Returns null if no record is addressed to us. Throws ParseError (bad sizes,
 * bad fields, unsupported layer encryption) or CryptoError (bad key or MAC): drop the message.
 */
export function openBuildRequest(decryptor: BuildRecordDecryptor, records: readonly Uint8Array[]): OpenedBuildRequest | null {
  if (records.length === 0) return null;
  const size = records[0]!.length;
  if (size !== SHORT_RECORD_SIZE && size !== LONG_RECORD_SIZE) {
    throw new ParseError('BAD_LENGTH', 'TunnelBuild/records[0]', 0, `record of ${size} bytes`);
  }
  for (let i = 0; i < records.length; i++) {
    const rec = records[i]!;
    if (rec.length !== size) throw new ParseError('BAD_LENGTH', `TunnelBuild/records[${i}]`, 0, 'records differ in size');
    if (!decryptor.isOurs(rec)) continue;
    const d = decryptor.decrypt(rec);
    const flags = d.fields.flags;
    const role: HopRole = flags & BUILD_FLAG_OBEP ? 'obep' : flags & BUILD_FLAG_IBGW ? 'ibgw' : 'participant';
    if (d.kind === 'short') {
      if (d.fields.layerEncryptionType !== LAYER_ENCRYPTION_AES) {
        throw new ParseError('UNSUPPORTED_LAYER_ENCRYPTION', `ShortTunnelBuild/records[${i}]`, 43, `layer encryption type ${d.fields.layerEncryptionType}`);
      }
      const out: OpenedBuildRequest = {
        index: i, format: 'short', role, request: d.fields, layerKey: d.keys.layerKey, ivKey: d.keys.ivKey, reply: d.reply,
      };
      if (d.keys.garlicReplyKey && d.keys.garlicReplyTag) out.garlicReply = { key: d.keys.garlicReplyKey, tag: d.keys.garlicReplyTag };
      return out;
    }
    return { index: i, format: 'long', role, request: d.fields, layerKey: d.keys.layerKey, ivKey: d.keys.ivKey, reply: d.reply };
  }
  return null;
}

export interface SealReplyOptions {
  random: Random;
  /** Reply options, e.g. [['b', '512']] when the request asked for bandwidth; empty by default. */
  options?: Mapping;
}

/**
 * Replace our record with our encrypted reply (status 0 accept, 30 reject-bandwidth, ...) and apply our
 * layer to every other record. Returns new records; the input is not modified.
 */
export function sealBuildReply(opened: OpenedBuildRequest, records: readonly Uint8Array[], status: number, opts: SealReplyOptions): Uint8Array[] {
  return records.map((rec, j) =>
    j === opened.index ? sealReplyRecord(opened.reply, j, status, opts.options ?? [], opts.random) : encryptOtherRecord(opened.reply, j, rec),
  );
}

export type BuildForward =
  /** Send `message` to router `to` (the next hop). */
  | { kind: 'router'; to: Uint8Array; message: I2NPMessage }
  /**
   * OBEP: deliver `message` into tunnel `tunnelId` at gateway `to` (wrap it in a TunnelGateway message), after
   * garlic-encrypting it with `garlic` when present. `local` = the reply tunnel's gateway is this router.
   */
  | { kind: 'tunnel'; to: Uint8Array; tunnelId: number; local: boolean; message: I2NPMessage; garlic?: { key: Uint8Array; tag: Uint8Array } };

/** Where the sealed records go next and as which I2NP message (`expiration` in ms since the epoch). */
export function buildForward(
  opened: OpenedBuildRequest,
  sealedRecords: Uint8Array[],
  ctx: { ourHash: Uint8Array; expiration: number },
): BuildForward {
  const req = opened.request;
  const short = opened.format === 'short';
  if (opened.role !== 'obep') {
    const format = short ? BuildFormat.ShortTunnelBuild : BuildFormat.VariableTunnelBuild;
    return {
      kind: 'router',
      to: req.nextIdent,
      message: {
        type: short ? I2NPType.ShortTunnelBuild : I2NPType.VariableTunnelBuild,
        msgId: req.nextMsgId,
        expiration: ctx.expiration,
        payload: serializeTunnelBuildRecords({ records: sealedRecords }, format),
      },
    };
  }
  const format = short ? BuildFormat.OutboundTunnelBuildReply : BuildFormat.VariableTunnelBuildReply;
  const local = equal(req.nextIdent, ctx.ourHash);
  const fwd: BuildForward = {
    kind: 'tunnel',
    to: req.nextIdent,
    tunnelId: req.nextTunnelId,
    local,
    message: {
      type: short ? I2NPType.OutboundTunnelBuildReply : I2NPType.VariableTunnelBuildReply,
      msgId: req.nextMsgId,
      expiration: ctx.expiration,
      payload: serializeTunnelBuildRecords({ records: sealedRecords }, format),
    },
  };
  if (short && !local && opened.garlicReply) fwd.garlic = opened.garlicReply;
  return fwd;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
