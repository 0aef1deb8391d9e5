import test from 'ava';
import { mkdir, mkdtemp, readFile, writeFile, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNetDbFolder, saveRouterInfo, routerInfoPath } from '../../../netdb/folder.js';
import { parseRouterInfo } from '../../../data/router-info.js';
import { toBase64 } from '../../../data/base64.js';

const VECTORS = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'vectors', 'i2pd-2.45.1');
const files = ['router1-floodfill.info', 'router2-floodfill.info', 'router3.info'];

async function seeded(): Promise<{ dir: string; hashes: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'clove-netdb-'));
  const hashes: string[] = [];
  for (const f of files) {
    const ri = parseRouterInfo(new Uint8Array(await readFile(join(VECTORS, f))));
    await saveRouterInfo(dir, ri);
    hashes.push(toBase64(ri.identity.hash));
  }
  return { dir, hashes };
}

test('i2pd-written RouterInfos saved in i2pd layout load back', async (t) => {
  const { dir, hashes } = await seeded();
  for (const h of hashes) t.true(existsSync(join(dir, 'netDb', `r${h[0]}`, `routerInfo-${h}.dat`)));
  const r = await loadNetDbFolder(dir, { netId: 77 });
  t.deepEqual(r.removed, []);
  t.deepEqual(r.routerInfos.map((ri) => toBase64(ri.identity.hash)).sort(), [...hashes].sort());
});

test('corrupt, tampered, misnamed and foreign-network files are removed, the good ones kept', async (t) => {
  const { dir, hashes } = await seeded();
  const [h1, h2, h3] = hashes as [string, string, string];
  // 1: truncated; 2: one signature byte flipped; 3: kept good. Plus a copy of 3 under a wrong name.
  const p1 = routerInfoPath(dir, h1);
  await writeFile(p1, (await readFile(p1)).subarray(0, 300));
  const p2 = routerInfoPath(dir, h2);
  const b2 = await readFile(p2);
  b2[b2.length - 5]! ^= 1;
  await writeFile(p2, b2);
  const wrongName = 'A'.repeat(43) + '=';
  await mkdir(join(dir, 'netDb', 'rA'), { recursive: true });
  await copyFile(routerInfoPath(dir, h3), routerInfoPath(dir, wrongName));
  const r = await loadNetDbFolder(dir, { netId: 77 });
  t.deepEqual(r.routerInfos.map((ri) => toBase64(ri.identity.hash)), [h3]);
  t.is(r.removed.length, 3);
  t.false(existsSync(p1));
  t.false(existsSync(p2));
  t.false(existsSync(routerInfoPath(dir, wrongName)));
  t.true(existsSync(routerInfoPath(dir, h3)));
  t.truthy(r.removed.find((x) => x.file === p1 && /does not parse/.test(x.reason)));
  t.truthy(r.removed.find((x) => x.file === p2 && /bad signature/.test(x.reason)));
});

test('RouterInfos of another netId are removed', async (t) => {
  const { dir } = await seeded();
  const r = await loadNetDbFolder(dir, { netId: 2 });
  t.is(r.routerInfos.length, 0);
  t.is(r.removed.length, 3);
  t.true(r.removed.every((x) => /netId 77, not 2/.test(x.reason)));
});

test('a missing netDb folder is an empty netDb', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'clove-netdb-'));
  t.deepEqual(await loadNetDbFolder(dir, { netId: 77 }), { routerInfos: [], removed: [] });
});
