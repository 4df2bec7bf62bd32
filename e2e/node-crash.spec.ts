/**
 * A tab killed in the middle of a write burst: every acknowledged write is on disc, and what the
 * library loads equals what IndexedDB holds.
 */
import { crashPage, expect, openHarness, test } from './fixtures.js'

test('a tab crashed mid-burst keeps every acknowledged write; memory equals disc after reopen', async ({ harness, context, dbName }) => {
  const acked = new Set<number>()
  await harness.exposeFunction('acked', (ids: number[]) => {
    for (const id of ids) acked.add(id)
  })
  await harness.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    await db.createTable('burst', { attributes: ['id', 'pad'] })
    await db.createTable('pair', { attributes: ['id', 'of'], storage: 'disc_only_copies' })
    const report = (window as unknown as { acked: (ids: number[]) => Promise<void> }).acked
    let id = 0
    // Never awaited by the test: the tab dies while this runs.
    void (async () => {
      for (;;) {
        const batch: Promise<number>[] = []
        for (let i = 0; i < 20; i++) {
          const my = id++
          batch.push(
            i % 2 === 0
              ? db.dirtyWrite('burst', { id: my, pad: 'x'.repeat(200) }).then(() => my)
              : db
                  .transaction(async (t) => {
                    await t.write('burst', { id: my, pad: 'y' })
                    await t.write('pair', { id: my, of: my })
                  })
                  .then(() => my),
          )
        }
        await report(await Promise.all(batch))
      }
    })()
  }, dbName)
  await expect.poll(() => acked.size, { timeout: 20_000 }).toBeGreaterThan(300)
  await crashPage(harness)
  const ackedAtCrash = [...acked]

  const page = await openHarness(await context.newPage())
  const state = await page.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    const lib = (await db.dirtyAllKeys('burst')) as number[]
    const pairs = (await db.dirtyAllKeys('pair')) as number[]
    const bursts = await db.dirtyMatchObject('burst', { pad: 'y' })
    // Raw IndexedDB, independent of the library: the object store of the table.
    const raw = await new Promise<number[]>((resolve, reject) => {
      const req = indexedDB.open(`webnesia:${name}`)
      req.onsuccess = () => {
        const tx = req.result.transaction('t:burst', 'readonly')
        // A disc_copies store's image (src/storage/disc-image.ts): snapshot chunks [0, n], then deltas [1, id].
        const keys = tx.objectStore('t:burst').getAllKeys()
        const values = tx.objectStore('t:burst').getAll()
        values.onsuccess = () => {
          const ids = new Set<number>()
          keys.result.forEach((k, i) => {
            const v = values.result[i] as unknown[]
            if ((k as number[])[0] === 0) for (const rec of v as { id: number }[]) ids.add(rec.id)
            else if ((v[1] as unknown[]).length === 0) ids.delete(v[0] as number)
            else ids.add(v[0] as number)
          })
          resolve([...ids].sort((a, b) => a - b))
          req.result.close()
        }
        keys.onerror = () => reject(new Error(String(keys.error)))
      }
      req.onerror = () => reject(new Error(String(req.error)))
    })
    return { lib, raw, pairs, ys: bursts.map((r) => r['id'] as number) }
  }, dbName)
  const onDisc = new Set(state.raw)
  const missing = ackedAtCrash.filter((id) => !onDisc.has(id))
  expect(missing).toEqual([])
  expect(state.lib).toEqual(state.raw)
  // Transactions are all or nothing: every 'y' record has its pair and every pair its record.
  expect(state.pairs.sort((a, b) => a - b)).toEqual(state.ys.sort((a, b) => a - b))
})
