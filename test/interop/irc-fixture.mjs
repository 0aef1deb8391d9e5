// Run inside the test namespace (ip netns exec): a tiny IRC server, or two IRC clients that chat.
//   node irc-fixture.mjs serve HOST PORT
//       registration (NICK, USER), JOIN, PRIVMSG relayed to the channel's other members, PING/PONG, QUIT.
//       Prints one JSON line per registration: {"user": "<the USER line as received>", "nick": "..."}.
//   node irc-fixture.mjs chat HOST_A PORT_A NICK_A HOST_B PORT_B NICK_B
//       both clients register and JOIN #clove; A says a line, B must see it; B answers, A must see it.
//       Prints {"ok": true} or {"ok": false, "error": "..."}; exits 0 either way.
import { createServer, connect } from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function lines(sock, onLine) {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    if (buf.length > 65536) sock.destroy();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      if (line) onLine(line);
    }
  });
}

if (mode === 'serve') {
  const [host, port] = args;
  const channels = new Map(); // name -> Set of clients
  createServer((sock) => {
    const c = { sock, nick: '*', user: '', host: 'unknown', registered: false };
    const send = (s) => sock.writable && sock.write(s + '\r\n');
    sock.on('error', () => undefined);
    sock.on('close', () => {
      for (const m of channels.values()) m.delete(c);
    });
    lines(sock, (line) => {
      const [cmd, ...rest] = line.split(' ');
      switch (cmd.toUpperCase()) {
        case 'NICK':
          c.nick = rest[0];
          break;
        case 'USER':
          c.user = rest[0];
          c.host = rest[1] ?? 'unknown';
          process.stdout.write(JSON.stringify({ user: line, nick: c.nick }) + '\n');
          break;
        case 'PING':
          send(`PONG ${rest.join(' ')}`);
          break;
        case 'JOIN': {
          const ch = rest[0];
          if (!channels.has(ch)) channels.set(ch, new Set());
          channels.get(ch).add(c);
          for (const m of channels.get(ch)) m.sock.write(`:${c.nick}!${c.user}@${c.host} JOIN ${ch}\r\n`);
          break;
        }
        case 'PRIVMSG': {
          const ch = rest[0];
          for (const m of channels.get(ch) ?? []) if (m !== c) m.sock.write(`:${c.nick}!${c.user}@${c.host} ${line}\r\n`);
          break;
        }
        case 'QUIT':
          sock.end();
          break;
      }
      if (!c.registered && c.nick !== '*' && c.user) {
        c.registered = true;
        send(`:irc.test 001 ${c.nick} :Welcome ${c.nick}`);
      }
    });
  }).listen(Number(port), host, () => process.stdout.write(JSON.stringify({ listening: true }) + '\n'));
} else if (mode === 'chat') {
  const [hostA, portA, nickA, hostB, portB, nickB] = args;
  const deadline = setTimeout(() => finish(false, 'timed out'), 90_000);
  const socks = [];
  function finish(ok, error) {
    clearTimeout(deadline);
    process.stdout.write(JSON.stringify(ok ? { ok } : { ok, error }) + '\n');
    for (const s of socks) s.destroy();
    process.exit(0);
  }
  function client(host, port, nick) {
    const waiters = [];
    const seen = [];
    const sock = connect(Number(port), host);
    socks.push(sock);
    sock.on('error', (e) => finish(false, `${nick}: ${e.message}`));
    sock.on('close', () => finish(false, `${nick}: connection closed; saw ${JSON.stringify(seen.slice(-5))}`));
    lines(sock, (line) => {
      seen.push(line);
      if (line.startsWith('PING')) sock.write(`PONG ${line.slice(5)}\r\n`);
      for (const w of [...waiters]) if (w.re.test(line)) waiters.splice(waiters.indexOf(w), 1), w.resolve(line);
    });
    sock.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick} real\r\n`);
    return {
      send: (s) => sock.write(s + '\r\n'),
      wait: (re) => new Promise((resolve) => {
        const hit = seen.find((l) => re.test(l));
        if (hit) resolve(hit);
        else waiters.push({ re, resolve });
      }),
    };
  }
  const a = client(hostA, portA, nickA);
  const b = client(hostB, portB, nickB);
  await Promise.all([a.wait(/ 001 /), b.wait(/ 001 /)]);
  a.send('JOIN #clove');
  await a.wait(new RegExp(`^:${nickA}!.* JOIN #clove`));
  b.send('JOIN #clove');
  await Promise.all([a.wait(new RegExp(`^:${nickB}!.* JOIN #clove`)), b.wait(new RegExp(`^:${nickB}!.* JOIN #clove`))]);
  a.send(`PRIVMSG #clove :hello from ${nickA}`);
  await b.wait(new RegExp(`^:${nickA}!\\S+ PRIVMSG #clove :hello from ${nickA}$`));
  b.send(`PRIVMSG #clove :hello from ${nickB}`);
  await a.wait(new RegExp(`^:${nickB}!\\S+ PRIVMSG #clove :hello from ${nickB}$`));
  finish(true);
} else {
  process.stderr.write('usage: irc-fixture.mjs serve HOST PORT | chat HOST_A PORT_A NICK_A HOST_B PORT_B NICK_B\n');
  process.exit(2);
}
