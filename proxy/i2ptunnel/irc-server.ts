/**
 * Server side of `type = irc` tunnels: what a remote IRC client sends through I2P is rewritten on its way to
 * the local ircd, as i2pd 2.45.1 does (libi2pd_client/I2PTunnel.cpp I2PTunnelConnectionIRC::Write;
 * ../shared/specs/docs/api-i2ptunnel.html "IRC Server": "filters the registration sequence of a client and
 * passes the client's destination key as a hostname to the IRC server"). Sans-IO: bytes in, bytes out.
 *
 * i2pd's rules, kept:
 * - `webircpassword` set: before the first bytes from the client, one line
 *   `WEBIRC <password> cgiirc <client>.b32.i2p <local address>\n`, the local address being the one our TCP
 *   connection to the ircd comes from (127.x.y.z with enableuniquelocal).
 * - A `USER` line gets its third field (RFC 1459's hostname) replaced by the client's `<b32>.b32.i2p`:
 *   `USER alice 0 * :Alice\r\n` → `USER alice <b32>.b32.i2p * :Alice\r\n` (i2pd: everything up to the second
 *   space, the address, everything from the third space on).
 * - Every other line passes unchanged; the direction ircd → client is not touched.
 *
 * Deviations from i2pd, written down:
 * - Lines are joined across stream packets before rewriting; i2pd rewrites each read on its own, so a line
 *   split between two reads is cut in two, and it writes an extra empty line after each read that ends
 *   with '\n'. We pass the lines as they came, nothing added.
 * - The command is matched as a word and in any case (`USER ` / `user `); i2pd matches the prefix "USER"
 *   case-sensitively, so it also mangles `USERHOST x` and lets `user …` through unrewritten.
 * - A USER line with fewer than three spaces is dropped (i2pd throws std::out_of_range on it).
 * - Lines longer than `maxLine` (default 16 KiB; IRC allows 512 bytes plus 8 KiB of tags) are dropped
 *   (i2pd buffers without bound).
 * - At end of stream an unfinished last line is passed on as it is (rewritten if it is a USER line).
 */
import { DEFAULT_MAX_LINE, LineSplitter, latin1 } from './lines.js';

export interface IrcServerRewriterOptions {
  /** The remote client's address, `<52 chars>.b32.i2p`. */
  clientB32: string;
  /** i2pd `webircpassword`; '' for none. */
  webircPassword?: string;
  /** Local address of the connection to the ircd, for the WEBIRC line. */
  localAddress?: string;
  maxLine?: number;
}

export class IrcServerRewriter {
  readonly #o: IrcServerRewriterOptions;
  readonly #lines: LineSplitter;
  #needsWebirc: boolean;
  /** USER lines dropped as malformed. */
  malformed = 0;

  constructor(o: IrcServerRewriterOptions) {
    this.#o = o;
    this.#lines = new LineSplitter(o.maxLine ?? DEFAULT_MAX_LINE);
    this.#needsWebirc = (o.webircPassword ?? '') !== '';
  }

  /** Over-long lines dropped. */
  get dropped(): number {
    return this.#lines.dropped;
  }

  /** Bytes from the I2P client → bytes for the ircd. */
  push(chunk: Uint8Array): Buffer {
    let out = this.#webirc();
    for (const line of this.#lines.push(chunk)) {
      const l = this.#rewrite(line);
      if (l !== undefined) out += l + '\n';
    }
    return latin1(out);
  }

  /** End of the client's stream: the unfinished last line, if any. */
  end(): Buffer {
    let out = '';
    const rest = this.#lines.flush();
    if (rest !== undefined) out = this.#rewrite(rest) ?? '';
    return latin1(out);
  }

  #webirc(): string {
    if (!this.#needsWebirc) return '';
    this.#needsWebirc = false;
    return `WEBIRC ${this.#o.webircPassword} cgiirc ${this.#o.clientB32} ${this.#o.localAddress ?? '127.0.0.1'}\n`;
  }

  #rewrite(line: string): string | undefined {
    if (line.length < 5 || line.slice(0, 5).toUpperCase() !== 'USER ') return line;
    const p1 = line.indexOf(' ');
    const p2 = line.indexOf(' ', p1 + 1);
    const p3 = p2 < 0 ? -1 : line.indexOf(' ', p2 + 1);
    if (p3 < 0) {
      this.malformed++;
      return undefined;
    }
    return line.slice(0, p2 + 1) + this.#o.clientB32 + line.slice(p3);
  }
}
