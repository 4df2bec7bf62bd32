/**
 * A disc_copies table's image (src/storage/disc-image.ts) in real Chromium, across a browser
 * restart: a table written in bulk is stored as a few snapshot chunks (not one row per record),
 * later changes as per-key deltas, and a fresh browser loads the snapshot with the deltas on top.
 */
import { expect, launchPersistent, openHarness, test } from './fixtures.js'

test('a chunked disc_copies table with deltas on top loads whole after a browser restart', async ({ profileDir, dbName }) => {
  let ctx = await launchPersistent(profileDir)
  let page = await openHarness(await ctx.newPage())
  const before = await page.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    await db.createTable('kv', { attributes: ['k', 'v'] })
    await db.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
    await db.transaction(async (t) => {
      for (let k = 0; k < 20_000; k++) await t.write('kv', { k, v: `v${String(k)}` })
      for (let i = 0; i < 3000; i++) await t.write('tags', { item: i % 3, tag: i })
    })
    await db.dumpLog() // 20k keys written: the dump writes a snapshot, not deltas
    // A few changes after the snapshot: deltas (a write, a delete, a bag key changed).
    await db.dirtyWrite('kv', { k: 5, v: 'changed' })
    await db.dirtyDelete('kv', 6)
    await db.dirtyWrite('kv', { k: 'new', v: 'added' })
    await db.dirtyDeleteObject('tags', { item: 1, tag: 1 })
    await db.dumpLog()
    await db.close()
    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(`webnesia:${name}`)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(new Error(String(req.error)))
    })
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const r = raw.transaction('t:kv').objectStore('t:kv').getAllKeys()
      r.onsuccess = () => resolve(r.result)
    })
    raw.close()
    return { rows: keys.length, deltas: keys.filter((k) => (k as number[])[0] === 1).length }
  }, dbName)
  await ctx.close()
  // 20k records in a few dozen chunks, plus the three deltas.
  expect(before.deltas).toBe(3)
  expect(before.rows).toBeLessThan(100)

  ctx = await launchPersistent(profileDir)
  page = await openHarness(await ctx.newPage())
  const after = await page.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    const out = {
      size: db.tableInfo('kv', 'size'),
      k5: await db.dirtyRead('kv', 5),
      k6: await db.dirtyRead('kv', 6),
      added: await db.dirtyRead('kv', 'new'),
      last: await db.dirtyRead('kv', 19_999),
      tags: [(await db.dirtyRead('tags', 0)).length, (await db.dirtyRead('tags', 1)).length, (await db.dirtyRead('tags', 2)).length],
      tag1: (await db.dirtyRead<{ tag: number }>('tags', 1)).filter((r) => r.tag === 1 || r.tag === 4).map((r) => r.tag),
    }
    await db.close()
    return out
  }, dbName)
  await ctx.close()
  expect(after).toEqual({
    size: 20_000,
    k5: [{ k: 5, v: 'changed' }],
    k6: [],
    added: [{ k: 'new', v: 'added' }],
    last: [{ k: 19_999, v: 'v19999' }],
    tags: [1000, 999, 1000],
    tag1: [4],
  })
})
