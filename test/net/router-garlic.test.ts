/**
 * Garlic addressed to a router (spec/ecies-routers.rst): a Noise-N message to the router's X25519 key with a
 * local-delivery clove is decrypted and its I2NP message dispatched; garbage and stale messages are counted
 * and dropped; cloves for other routers are not delivered.
 */
import test from 'ava';
import { makeRouter, seed, testNetId, until } from '../helpers/net.js';
import { encryptToRouter } from '../../garlic/router-garlic.js';
import { BlockType, cloveBlock, serializeBlocks, type Block } from '../../garlic/blocks.js';
import { serializeGarlic } from '../../i2np/garlic.js';
import { I2NPType } from '../../i2np/header.js';
import { randomBytes } from 'node:crypto';

test('router-addressed garlic: cloves for us are dispatched, bad ones counted', async (t) => {
  const netId = testNetId();
  const bob = await makeRouter({ netId, floodfill: true });
  const alice = await makeRouter({ netId });
  try {
    await bob.start();
    await seed(alice, bob);
    await alice.start();
    t.true(await until(() => bob.status().peers.ntcp2 === 1));
    const bobKey = bob.routerInfo.identity.cryptoPublicKey!;
    const status = new Uint8Array(12);
    new DataView(status.buffer).setUint32(0, 4242);
    const inner = { type: I2NPType.DeliveryStatus, msgId: 77, expiration: Date.now() + 60_000, payload: status };
    const garlic = (blocks: Block[]) => ({
      type: I2NPType.Garlic,
      msgId: 1 + Math.floor(Math.random() * 1e9),
      expiration: Date.now() + 60_000,
      payload: serializeGarlic({ data: encryptToRouter(bobKey, serializeBlocks(blocks)) }),
    });
    const g = () => bob.i2npStats.garlic;
    const ds = () => bob.i2npStats.received.DeliveryStatus ?? 0;
    const before = ds();

    // A good one: DateTime + a local clove.
    alice.transports!.send(bob.routerInfo.identity.hash, garlic([{ type: BlockType.DateTime, timestamp: Math.floor(Date.now() / 1000) }, cloveBlock(inner)]));
    t.true(await until(() => g().decrypted === 1 && g().cloves === 1));
    t.true(await until(() => ds() === before + 1));

    // A clove for another router is not delivered here.
    alice.transports!.send(
      bob.routerInfo.identity.hash,
      garlic([{ type: BlockType.DateTime, timestamp: Math.floor(Date.now() / 1000) }, cloveBlock(inner, { type: 'router', hash: randomBytes(32) })]),
    );
    t.true(await until(() => g().decrypted === 2 && g().clovesDropped === 1));

    // Stale (no fresh DateTime) and garbage: counted as failures, nothing dispatched.
    alice.transports!.send(bob.routerInfo.identity.hash, garlic([{ type: BlockType.DateTime, timestamp: Math.floor(Date.now() / 1000) - 3600 }, cloveBlock(inner)]));
    alice.transports!.send(bob.routerInfo.identity.hash, { type: I2NPType.Garlic, msgId: 5, expiration: Date.now() + 60_000, payload: serializeGarlic({ data: randomBytes(120) }) });
    t.true(await until(() => g().failed === 2));
    t.is(ds(), before + 1);
    t.is(g().cloves, 1);
  } finally {
    await alice.stop();
    await bob.stop();
  }
});
