/**
 * Client-side IRC filtering for `type = client` tunnels with `ircfilter = true` (a clove key; i2pd has no IRC
 * client tunnel and passes IRC through unfiltered). It follows Java I2P's `ircclient` tunnels
 * (apps/i2ptunnel/.../irc/IRCFilter.java, I2PTunnelIRCClient / IrcOutboundFilter / IrcInboundFilter) and
 * ../shared/specs/docs/api-i2ptunnel.html "IRC Client": only an allow-listed subset of commands passes, in
 * each direction, and commands that can carry identifying information are rewritten. Sans-IO: lines (or
 * bytes) in, lines (or bytes) out, plus the PING/PONG state Java keeps.
 *
 * Outbound (IRC client → I2P), as Java:
 * - allowed as they are: the commands in OUTBOUND_ALLOWED (user commands, services aliases, IRCop commands);
 * - PRIVMSG / NOTICE pass unless they carry CTCP: exactly one CTCP (two \x01) that is ACTION passes, any other
 *   CTCP (VERSION, TIME, CLIENTINFO, PING, DCC — which carries the client's IP — …) is dropped; so is a NOTICE
 *   ":DCC …" (mIRC);
 * - USER → `USER <user> hostname localhost :<realname>`; PART → `PART <channels> :leaving`;
 *   QUIT → `QUIT :leaving`; PONG → `PONG 127.0.0.1`; `PING a b` → `PING a` (the PONG expected back is
 *   rewritten to `PONG b :a` on the way in);
 * - everything else is dropped, and so is a line with a prefix (':').
 * Inbound (I2P → IRC client), as Java: numeric replies; MODE JOIN NICK QUIT PART WALLOPS ERROR KICK H TOPIC
 * AUTHENTICATE CAP and PROTOCTL (listed by the spec); PRIVMSG / NOTICE with the same CTCP rule (only ACTION);
 * PING → `PING 127.0.0.1`; PONG → the expected PONG if one was set, else as it is; everything else dropped.
 *
 * Deviations from Java I2P, written down:
 * - DCC and XDCC are always dropped (Java can tunnel DCC over I2P with its DCC helper; we have none).
 * - IRCv3 message tags (a leading `@tags `) are removed and the rest of the line filtered (Java drops the
 *   whole line, so a client that negotiated message-tags would see nothing).
 * - The CTCP check looks at the whole message text (Java's inbound check looks at its first word only when
 *   the line has no prefix).
 * - Lines longer than `maxLine` (default 16 KiB) are dropped; Java reads lines without bound.
 * - Java I2P+ sends its own keepalive PINGs; we do not.
 */
import { DEFAULT_MAX_LINE, LineSplitter, latin1 } from './lines.js';

export const OUTBOUND_ALLOWED: ReadonlySet<string> = new Set([
  // regular users
  'ADMIN', 'AWAY', 'AUTHENTICATE', 'CAP', 'CYCLE', 'DCCALLOW', 'HELPME', 'HELPOP', 'INVITE', 'ISON', 'JOIN', 'KICK',
  'KNOCK', 'LIST', 'LUSERS', 'MAP', 'MODE', 'MOTD', 'NAMES', 'NICK', 'OPER', 'PASS', 'RULES', 'SETNAME', 'SILENCE',
  'STATS', 'TOPIC', 'USERHOST', 'VHOST', 'WATCH', 'WHO', 'WHOIS', 'WHOWAS',
  // services aliases (unreal + anope)
  'BOTSERV', 'BS', 'CHANSERV', 'CS', 'HELPSERV', 'HOSTSERV', 'HS', 'MEMOSERV', 'MS', 'NICKSERV', 'NS', 'OPERSERV', 'OS',
  'STATSERV',
  // IRCop commands
  'ADCHAT', 'ADDMOTD', 'ADDOMOTD', 'CHATOPS', 'CHGHOST', 'CHGIDENT', 'CHGNAME', 'CLOSE', 'DCCDENY', 'DIE', 'GLOBOPS',
  'GZLINE', 'HTM', 'KILL', 'KLINE', 'LOCOPS', 'NACHAT', 'OPERMOTD', 'REHASH', 'RESTART', 'SAJOIN', 'SAMODE', 'SAPART',
  'SDESC', 'SETHOST', 'SETIDENT', 'SHUN', 'SPAMFILTER', 'SQUIT', 'TEMPSHUN', 'UNDCCDENY', 'WALLOPS', 'ZLINE',
]);

export const INBOUND_ALLOWED: ReadonlySet<string> = new Set([
  'MODE', 'JOIN', 'NICK', 'QUIT', 'PART', 'WALLOPS', 'ERROR', 'KICK', 'H', 'TOPIC', 'AUTHENTICATE', 'CAP', 'PROTOCTL',
]);

const CTCP = '\x01';

/** Split off at most `limit - 1` space-separated fields, the rest in the last (Java String.split(" ", limit)). */
function splitN(s: string, limit: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (out.length < limit - 1) {
    const sp = s.indexOf(' ', start);
    if (sp < 0) break;
    out.push(s.slice(start, sp));
    start = sp + 1;
  }
  out.push(s.slice(start));
  return out;
}

function stripTags(line: string): string {
  if (!line.startsWith('@')) return line;
  const sp = line.indexOf(' ');
  return sp < 0 ? '' : line.slice(sp + 1).replace(/^ +/, '');
}

/** PRIVMSG/NOTICE text: pass if no CTCP, or exactly one CTCP that is ACTION. */
function ctcpAllowed(msg: string): boolean {
  if (!msg.includes(CTCP)) return true;
  let count = 0;
  for (const c of msg) if (c === CTCP) count++;
  if (count !== 2) return false;
  const at = msg.indexOf(CTCP);
  return msg.startsWith('ACTION ', at + 1);
}

export class IrcClientFilter {
  /** What to send the client instead of the next PONG from the server ('' : pass the server's). */
  #expectedPong = '';

  /** One line from the local IRC client (without CR/LF) → the line to send, or null to drop it. */
  outbound(raw: string): string | null {
    const s = stripTags(raw);
    const field = splitN(s, 3);
    const f0 = field[0]!;
    if (f0.length === 0 || f0.startsWith(':')) return null;
    const command = f0.toUpperCase();
    if (command === 'PING') {
      this.#expectedPong = '';
      if (field.length === 1) return 'PING';
      if (field.length === 2) return `PING ${field[1]}`;
      this.#expectedPong = `PONG ${field[2]} :${field[1]}`;
      return `PING ${field[1]}`;
    }
    if (command === 'PONG') return 'PONG 127.0.0.1';
    if (OUTBOUND_ALLOWED.has(command)) return s;
    if (command === 'PRIVMSG' || command === 'NOTICE') {
      const msg = field[2];
      if (msg === undefined) return null;
      if (command === 'NOTICE' && msg.startsWith(':DCC ')) return null;
      return ctcpAllowed(msg) ? s : null;
    }
    if (command === 'USER') {
      if (field.length < 3) return null;
      const rest = field[2]!;
      const idx = rest.lastIndexOf(':');
      if (idx < 0) return 'USER user hostname localhost :realname';
      return `USER ${field[1]} hostname localhost :${rest.slice(idx + 1)}`;
    }
    if (command === 'PART') return field.length >= 2 && field[1] !== '' ? `PART ${field[1]} :leaving` : null;
    if (command === 'QUIT') return 'QUIT :leaving';
    return null;
  }

  /** One line from the IRC server (without CR/LF) → the line to give the client, or null to drop it. */
  inbound(raw: string): string | null {
    const s = stripTags(raw);
    const field = splitN(s, 4);
    let idx = 0;
    if (field[0]!.startsWith(':')) idx++;
    const command = field[idx]?.toUpperCase();
    if (!command) return null;
    if (/^[+-]?[0-9]+$/.test(command)) return s;
    if (command === 'PING') return 'PING 127.0.0.1';
    if (command === 'PONG') {
      const pong = this.#expectedPong || s;
      this.#expectedPong = '';
      return pong;
    }
    if (INBOUND_ALLOWED.has(command)) return s;
    if (command === 'PRIVMSG' || command === 'NOTICE') {
      // the text after the target: the fourth field with a prefix, the third and fourth without
      const msg = idx === 1 ? field[3] : field.slice(2).join(' ');
      if (msg === undefined) return null;
      return ctcpAllowed(msg) ? s : null;
    }
    return null;
  }
}

/** Byte-level wrapper: splits lines, filters them, writes each kept line with CRLF (RFC 1459 2.3). */
export class IrcClientFilterStream {
  readonly filter = new IrcClientFilter();
  readonly #out: LineSplitter;
  readonly #in: LineSplitter;
  /** Lines dropped by the filter, per direction. */
  blockedOut = 0;
  blockedIn = 0;

  constructor(maxLine = DEFAULT_MAX_LINE) {
    this.#out = new LineSplitter(maxLine);
    this.#in = new LineSplitter(maxLine);
  }

  get droppedLong(): number {
    return this.#out.dropped + this.#in.dropped;
  }

  /** Bytes from the local IRC client → bytes for the I2P stream. */
  outbound(chunk: Uint8Array): Buffer {
    return this.#run(this.#out.push(chunk), (l) => this.filter.outbound(l), 'out');
  }

  /** Bytes from the I2P stream → bytes for the local IRC client. */
  inbound(chunk: Uint8Array): Buffer {
    return this.#run(this.#in.push(chunk), (l) => this.filter.inbound(l), 'in');
  }

  /** End of the client's input: an unfinished last line is filtered too. */
  endOutbound(): Buffer {
    const rest = this.#out.flush();
    return rest === undefined ? Buffer.alloc(0) : this.#run([rest], (l) => this.filter.outbound(l), 'out');
  }

  endInbound(): Buffer {
    const rest = this.#in.flush();
    return rest === undefined ? Buffer.alloc(0) : this.#run([rest], (l) => this.filter.inbound(l), 'in');
  }

  #run(lines: string[], f: (l: string) => string | null, dir: 'in' | 'out'): Buffer {
    let out = '';
    for (let l of lines) {
      if (l.endsWith('\r')) l = l.slice(0, -1);
      if (l.length === 0) continue;
      const r = f(l);
      if (r === null) {
        if (dir === 'in') this.blockedIn++;
        else this.blockedOut++;
      } else out += r + '\r\n';
    }
    return latin1(out);
  }
}
