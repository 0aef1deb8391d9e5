/**
 * Issue "Foundation", done-when: a router.info written by `clove run --netid=77 --host=198.18.0.20
 * --port=12345`, placed in an i2pd 2.45.1 netDb folder (netDb/r<c>/routerInfo-<hash>.dat), is loaded by i2pd
 * as a known router.
 *
 * What i2pd checks when it loads its netDb folder (NetDb::LoadRouterInfo): the identity parses, the router is
 * not unreachable (a foreign netId makes it so), it has valid addresses, and it is not too old; whatever
 * fails is deleted. (It does not verify signatures of files it wrote itself; signatures are checked when an RI
 * arrives over the wire — the NTCP2 interop tests cover that.) The control case, a router.info clove wrote
 * for another network (netId 78), must be dropped and deleted, or this test would prove nothing.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { I2pd, Namespace, interopUnavailable, placeInNetDb, tempBase, sleep } from './harness.js';
import { REPO_ROOT, cloveCommand } from '../helpers/clove.js';

const why = interopUnavailable();
const requireInterop = process.env.CLOVE_REQUIRE_INTEROP === '1';

/** Run `clove run` inside the namespace until it has written router.info, stop it with SIGTERM. */
async function cloveRouterInfo(t: import('ava').ExecutionContext, ns: Namespace, datadir: string, extra: string[]): Promise<Uint8Array> {
  const [cmd, args] = cloveCommand(['run', `--datadir=${datadir}`, ...extra]);
  const clove = ns.spawn(cmd, args, { cwd: REPO_ROOT });
  const exited = new Promise<number | null>((res) => clove.once('exit', (code) => res(code)));
  let stderr = '';
  clove.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  clove.stdout?.resume();
  const riFile = join(datadir, 'router.info');
  for (let i = 0; i < 150 && !existsSync(riFile) && clove.exitCode === null; i++) await sleep(100);
  t.true(existsSync(riFile), `clove wrote no router.info: ${stderr}`);
  t.is(clove.exitCode, null, `clove exited early: ${stderr}`);
  clove.kill('SIGTERM');
  t.is(await exited, 0, `clove did not exit cleanly on SIGTERM: ${stderr}`);
  return new Uint8Array(await readFile(riFile));
}

if (why && !requireInterop) {
  test('i2pd loads the router.info that clove run writes', (t) => {
    t.log(`SKIPPED: ${why}`);
    t.pass();
  });
} else {
  test('i2pd loads the router.info that clove run writes', async (t) => {
    if (why) t.fail(`interop suite required but unavailable: ${why}`);
    const ns = await Namespace.create(25);
    const base = await tempBase();
    const good = new I2pd(ns, base, { index: 1, floodfill: true });
    const control = new I2pd(ns, base, { index: 2, floodfill: true });
    try {
      const common = ['--host=198.18.0.20', '--port=12345', '--http.enabled=false'];
      const ri = await cloveRouterInfo(t, ns, join(base, 'clove'), ['--netid=77', ...common]);
      const foreign = await cloveRouterInfo(t, ns, join(base, 'clove-78'), ['--netid=78', ...common]);
      const goodFile = await placeInNetDb(good.dir, ri);
      const foreignFile = await placeInNetDb(control.dir, foreign);

      await Promise.all([good.start(), control.start()]);
      await Promise.all([good.waitConsole(), control.waitConsole()]);
      // The console counts i2pd itself plus the routers it loaded.
      t.is(await good.knownRouters(), 2, "i2pd did not load clove's RouterInfo");
      t.true(existsSync(goodFile), "i2pd removed clove's RouterInfo from its netDb");
      t.is(await control.knownRouters(), 1, 'control: i2pd loaded a RouterInfo of another network');
      t.false(existsSync(foreignFile), 'control: i2pd kept a RouterInfo of another network');
    } finally {
      await Promise.all([good.stop(), control.stop()]);
      await ns.destroy();
    }
  });
}
