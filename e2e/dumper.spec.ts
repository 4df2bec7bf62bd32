/**
 * The log dumper (src/log/dumper.ts) in real Chromium: a commit to a disc_copies table is durable
 * in the commit log alone, the table's object store catches up in a dump, a load reads the stores
 * in chunks, and a dump the disc refuses loses nothing.
 */
import type { Page } from '@playwright/test'
import { crashPage, expect, openHarness, setQuota, test } from './fixtures.js'
import { openIn } from './helpers.js'

/**
 * What plain IndexedDB (no library) sees: the records of `t:<table>` (its image decoded: snapshot
 * chunks `[0, n]`, then deltas `[1, key]`, storage/disc-image.ts), its rows, and `meta.dumped`.
 */
function rawStore(page: Page, name: string, table: string): Promise<{ records: number; rows: number; dumped: number | null }> {
  return page.evaluate(
    ([n, t]) =>
      new Promise<{ records: number; rows: number; dumped: number | null }>((resolve, reject) => {
        const req = indexedDB.open(`webnesia:${n}`)
        req.onerror = () => reject(new Error(String(req.error)))
        req.onsuccess = () => {
          const idb = req.result
          const tx = idb.transaction([`t:${t}`, 'meta', 'schema'], 'readonly')
          const keys = tx.objectStore(`t:${t}`).getAllKeys()
          const values = tx.objectStore(`t:${t}`).getAll()
          const def = tx.objectStore('schema').get(t)
          const dumped = tx.objectStore('meta').get('dumped')
          tx.oncomplete = () => {
            idb.close()
            const keyAttr = (def.result as { attributes: string[] }).attributes[0] as string
            const slots = new Map<string, number>()
            keys.result.forEach((k, i) => {
              const v = values.result[i] as unknown[]
              if ((k as number[])[0] === 0) {
                for (const r of v as Record<string, unknown>[]) {
                  const id = JSON.stringify(r[keyAttr])
                  slots.set(id, (slots.get(id) ?? 0) + 1)
                }
              } else slots.set(JSON.stringify(v[0]), (v[1] as unknown[]).length)
            })
            let records = 0
            for (const c of slots.values()) records += c
            resolve({ records, rows: keys.result.length, dumped: (dumped.result as number | undefined) ?? null })
          }
          tx.onerror = () => reject(new Error(String(tx.error)))
        }
      }),
    [name, table] as const,
  )
}

test('commits killed before any dump are durable in the log: the next tab has them and dumps them', async ({ context, dbName }) => {
  // The writing tab's timers are frozen: its housekeeping never dumps before the kill.
  const writer = await context.newPage()
  await writer.clock.install()
  await openHarness(writer)
  await openIn(writer, dbName)
  await writer.evaluate(async () => {
    await db.createTable('kv', { attributes: ['k', 'v'] })
    for (let k = 0; k < 200; k++) await db.transaction((t) => t.write('kv', { k, v: `v${String(k)}` }))
  })
  expect((await rawStore(writer, dbName, 'kv')).records).toBe(0) // acknowledged, in the log only
  await crashPage(writer)

  const next = await openHarness(await context.newPage())
  await openIn(next, dbName)
  expect(await next.evaluate(async () => (await db.dirtyAllKeys('kv')).length)).toBe(200)
  expect(await next.evaluate(() => db.dirtyRead('kv', 199))).toEqual([{ k: 199, v: 'v199' }])
  // Its load dumped the log into the store.
  expect((await rawStore(next, dbName, 'kv')).records).toBe(200)
})

test('a load reads the stores in chunks: every row of a bag key spanning two chunks, every record of a set', async ({ harness, context, dbName }) => {
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
    await db.createTable('kv', { attributes: ['k', 'v'] })
    await db.transaction(async (t) => {
      for (let i = 0; i < 3000; i++) await t.write('tags', { item: 1, tag: i })
      for (let i = 0; i < 3000; i++) await t.write('tags', { item: 2, tag: i }) // rows 3000–5999: the 4,096 boundary
      for (let k = 0; k < 10_000; k++) await t.write('kv', { k, v: k })
    })
    await db.dumpLog()
  })
  expect((await rawStore(harness, dbName, 'tags')).records).toBe(6000)
  const other = await openHarness(await context.newPage())
  await openIn(other, dbName)
  expect(
    await other.evaluate(async () => [(await db.dirtyRead('tags', 1)).length, (await db.dirtyRead('tags', 2)).length, db.tableInfo('kv', 'size')]),
  ).toEqual([3000, 3000, 10_000])
})

test('a dump the disc refuses: StorageFullError, the commit stays in the log, a later dump writes it', async ({ harness, context, dbName }) => {
  // Set before the connection opens (an override set after did not limit it, see txn-quota).
  await setQuota(harness, 1024 * 1024)
  await openIn(harness, dbName)
  const refused = await harness.evaluate(async () => {
    await db.createTable('doc', { attributes: ['id', 'body'] })
    // Incompressible: 700 KiB fit in the log, but not a second time in the store.
    const body = new Uint8Array(700 * 1024)
    for (let i = 0; i < body.length; i += 65536) crypto.getRandomValues(body.subarray(i, i + 65536))
    await db.transaction((t) => t.write('doc', { id: 1, body }))
    try {
      await db.dumpLog()
      return { ok: true }
    } catch (e) {
      const err = e as { name: string; code: string }
      return { ok: false, name: err.name, code: err.code, size: db.tableInfo('doc', 'size') }
    }
  })
  expect(refused).toEqual({ ok: false, name: 'StorageFullError', code: 'quota', size: 1 })
  expect((await rawStore(harness, dbName, 'doc')).records).toBe(0)
  // Space again: the next dump writes it, and another tab loads it.
  await setQuota(harness, null)
  await harness.evaluate(() => db.dumpLog())
  expect((await rawStore(harness, dbName, 'doc')).records).toBe(1)
  const other = await openHarness(await context.newPage())
  await openIn(other, dbName)
  expect(await other.evaluate(async () => ((await db.dirtyRead<{ body: Uint8Array }>('doc', 1))[0]?.body.byteLength ?? 0))).toBe(700 * 1024)
})
