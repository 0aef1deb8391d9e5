/**
 * Transit forwarding benchmark: clove's transit path (TunnelData messages per second on one core, in-process)
 * and, in the same run, i2pd 2.45.1's CPU time per TunnelData message it forwards as a transit participant
 * for traffic clove sends through it (inside a network namespace, as the interop tests run i2pd).
 * Prints numbers; never pass/fail. What is measured and how: bench/README.md "transit.ts".
 *
 *   npx tsx bench/transit.ts                       (from source)
 *   npm run build && node dist/bench/transit.js    (compiled)
 *   options: --ms=3000 (clove measurement time per line), --n=200000 (messages through i2pd),
 *            --window=512 --batch=16 (in flight / per sendI2NP call), --i2pd=2 (routers in the namespace),
 *            --idle-ms=5000 (i2pd idle CPU window), --runs=3 (i2pd runs; the median is
 *            reported), --no-i2pd (clove only)
 */
import { availableParallelism } from 'node:os';
import { measureCloveTransit } from './lib/clove-transit.js';
import { abortI2pdTransit, measureI2pdTransit, type I2pdTransitResult } from './lib/i2pd-transit.js';
import { interopUnavailable } from '../test/interop/harness.js';

const args = process.argv.slice(2);
function num(name: string, dflt: number): number {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const v = a ? Number(a.slice(name.length + 3)) : dflt;
  return Number.isFinite(v) && v > 0 ? v : dflt;
}
const ms = num('ms', 3000);
const opts = { i2pd: Math.max(1, Math.floor(num('i2pd', 2))), n: Math.floor(num('n', 200_000)), window: Math.floor(num('window', 512)), batch: Math.floor(num('batch', 16)), idleMs: num('idle-ms', 5000), runs: Math.floor(num('runs', 3)) };
const skipI2pd = args.includes('--no-i2pd');

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '—');
const log = (s: string): void => void process.stderr.write(`# ${s}\n`);

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  console.log(`transit forwarding, clove vs i2pd — node ${process.version}, ${new Date().toISOString()}`);
  log(`clove in-process: ${ms} ms per line after ${Math.round(ms / 6)} ms warm-up`);
  log(`(the machine has ${availableParallelism()} CPUs; every clove line runs on this one thread)`);
  const c = measureCloveTransit({ ms, warmMs: Math.round(ms / 6), batch: opts.batch });
  console.log(`\nclove transit participant, in-process, one core (forwarded bytes checked: ${c.forwardedOk ? 'ok' : 'MISMATCH'})`);
  console.log(
    table([
      ['path', 'msgs/s', 'µs/msg', 'MB/s'],
      ...(
        [
          ['TunnelManager.handleMessage (I2NPMessage in, send() out)', c.core],
          ['+ NTCP2 block parse / encode (no frame crypto)', c.wire],
          [`+ NTCP2 frame crypto (in: ${opts.batch} msgs/frame, out: 1 msg/frame)`, c.wireCrypto],
          [`  same, out batched ${opts.batch} msgs/frame (hypothetical)`, c.wireCryptoBatched],
        ] as const
      ).map(([n, r]) => [n, f0(r.msgsPerSec), f2(r.usPerMsg), f2(r.mbPerSec)]),
    ]),
  );
  const s = c.split;
  console.log(
    `split, µs/msg: parse ${f2(s.parse)} · layer encrypt ${f2(s.layer)} · serialize ${f2(s.serialize)} · ` +
      `NTCP2 frame decrypt ${f2(s.frameDecrypt)} · encrypt ${f2(s.frameEncrypt)}`,
  );

  let d: I2pdTransitResult | undefined;
  const why = interopUnavailable();
  if (skipI2pd) console.log('\ni2pd: skipped (--no-i2pd)');
  else if (why) console.log(`\ni2pd: skipped (${why})`);
  else {
    log(`i2pd: ${JSON.stringify(opts)}`);
    d = await measureI2pdTransit({ ...opts, log });
    console.log(`\ni2pd 2.45.1 transit participant, median of ${d.allUsPerMsg.length} runs (µs/msg: ${d.allUsPerMsg.map(f2).join(', ')}): ${f0(d.received)} of ${f0(d.sent)} TunnelData forwarded in ${f0(d.wallMs)} ms ` +
      `(${f0((d.received * 1000) / d.wallMs)} msgs/s offered by the clove peer; ${d.verified} of the first 256 checked byte for byte, ${d.mismatched} wrong)`);
    console.log(
      `CPU (CLK_TCK ${d.clkTck}): ${f0(d.cpuUs)} µs during the run, idle ${f0(d.idleUsPerSec)} µs/s → ${f0(d.cpuNetUs)} µs net; ` +
        `by thread: ${Object.entries(d.threads).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f0(v / 1000)} ms (${f2(v / d!.received)} µs/msg)`).join(', ')}`,
    );
    console.log(`clove peer process (NTCP2 both ways, generating and counting): ${f2(d.peerUsPerMsg)} µs CPU per message`);
  }

  console.log('\nsummary (per forwarded TunnelData message, one core)');
  const rows: string[][] = [['', 'msgs/s per core', 'µs/msg', 'rate ÷ i2pd']];
  const ratio = (us: number): string => (d && Number.isFinite(d.usPerMsg) ? `${f2(d.usPerMsg / us)}×` : '—');
  rows.push(['clove transit (handleMessage)', f0(c.core.msgsPerSec), f2(c.core.usPerMsg), ratio(c.core.usPerMsg)]);
  rows.push(['clove transit + NTCP2 frame crypto', f0(c.wireCrypto.msgsPerSec), f2(c.wireCrypto.usPerMsg), ratio(c.wireCrypto.usPerMsg)]);
  rows.push(['  same, output batched (hypothetical)', f0(c.wireCryptoBatched.msgsPerSec), f2(c.wireCryptoBatched.usPerMsg), ratio(c.wireCryptoBatched.usPerMsg)]);
  rows.push(['i2pd transit, CPU incl. NTCP2 (derived)', d ? f0(d.msgsPerCore) : '—', d ? f2(d.usPerMsg) : '—', d ? '1.00×' : '—']);
  console.log(table(rows));
  console.log('rate ÷ i2pd = clove msgs/s per core ÷ i2pd msgs/s per core (= i2pd µs/msg ÷ clove µs/msg; below 1: clove costs more).');
  console.log('The like-for-like pair is "+ NTCP2 frame crypto" vs i2pd: i2pd\'s CPU includes NTCP2 decrypt and encrypt of every');
  console.log('message. Caveats: bench/README.md.');
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: stopping the peer and i2pd, deleting the namespace`);
    void abortI2pdTransit().finally(() => process.exit(130));
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exitCode = 1;
});
