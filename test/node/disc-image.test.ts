/**
 * A disc_copies table's image (src/storage/disc-image.ts): snapshot chunks written whole, per-key
 * deltas written by the dumper, the snapshot rewritten from memory once deltas pass a fraction of
 * the table, in one transaction (a fault midway leaves the old image), on IndexedDB
 * (fake-indexeddb) and on the file backend.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDB } from 'idb'
import { afterAll, afterEach, expect, it } from 'vitest'
import { openDatabase, type Database } from '../../src/index.js'
import { Faults } from '../../src/backend/faults.js'
import { idbBackend } from '../../src/backend/idb.js'
import { openDatabaseOn } from '../../src/open.js'
import { COMPACT_MIN, MAX_CHUNK } from '../../src/storage/disc-image.js'
import { imageRecords } from '../storage/image-rows.js'
import { uniqueName } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function keep(db: Database): Database {
  dbs.push(db)
  return db
}

/** The rows of a table's store, read with plain IndexedDB: snapshot chunks, deltas, and the records they make. */
async function image(name: string, table: string, keyAttr = 'k'): Promise<{ chunks: number; deltas: number; records: Record<string, unknown>[] }> {
  const idb = await openDB(`webnesia:${name}`)
  try {
    const keys = (await idb.getAllKeys(`t:${table}`)) as [number, unknown][]
    const values = await idb.getAll(`t:${table}`)
    return {
      chunks: keys.filter((k) => k[0] === 0).length,
      deltas: keys.filter((k) => k[0] === 1).length,
      records: imageRecords(keys.map((key, i) => ({ key, value: values[i] as unknown })), keyAttr),
    }
  } finally {
    idb.close()
  }
}

async function writeAll(db: Database, table: string, recs: readonly Record<string, unknown>[]): Promise<void> {
  await db.transaction(async (t) => {
    for (const r of recs) await t.write(table, r)
  })
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

it('a bulk write is dumped as a few snapshot chunks, later changes as one delta per key; a load merges them', async () => {
  const name = uniqueName('img')
  const db = keep(await openDatabase({ name }))
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await writeAll(db, 'kv', range(0, 5000).map((k) => ({ k, v: k })))
  await db.dumpLog()
  let img = await image(name, 'kv')
  expect(img.deltas).toBe(0)
  expect(img.chunks).toBeGreaterThanOrEqual(Math.ceil(5000 / MAX_CHUNK))
  expect(img.chunks).toBeLessThan(50)
  // Changes after the snapshot: a write, a new key, a delete (a tombstone), a key written twice.
  await db.dirtyWrite('kv', { k: 1, v: 'one' })
  await db.dirtyWrite('kv', { k: 'new', v: 'added' })
  await db.dirtyDelete('kv', 2)
  await db.dirtyWrite('kv', { k: 3, v: 'x' })
  await db.dirtyWrite('kv', { k: 3, v: 'three' })
  await db.dumpLog()
  img = await image(name, 'kv')
  expect(img.deltas).toBe(4)
  const mine = await db.dirtyMatchObject('kv', {})
  expect(img.records).toEqual(mine)
  const other = keep(await openDatabase({ name }))
  expect(await other.dirtyMatchObject('kv', {})).toEqual(mine)
  expect(other.tableInfo('kv', 'size')).toBe(5000)
  expect(await other.dirtyRead('kv', 2)).toEqual([])
})

it('deltas past the limit: the next dump rewrites the snapshot from memory and drops them', async () => {
  const name = uniqueName('img')
  const db = keep(await openDatabase({ name }))
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await db.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
  await writeAll(db, 'kv', range(0, 2000).map((k) => ({ k, v: 0 })))
  await db.dumpLog()
  const under = COMPACT_MIN - 100
  await writeAll(db, 'kv', range(0, under).map((k) => ({ k, v: 1 })))
  await db.dumpLog()
  expect((await image(name, 'kv')).deltas).toBe(under)
  // A bag key's records come back whole from a snapshot too (key 0's span two chunks).
  await writeAll(db, 'tags', range(0, 3000).map((tag) => ({ item: tag < 2400 ? 0 : tag, tag })))
  await writeAll(db, 'kv', range(under, under + 200).map((k) => ({ k, v: 2 })))
  await db.dumpLog()
  const img = await image(name, 'kv')
  expect(img.deltas).toBe(0)
  expect(img.records).toEqual(await db.dirtyMatchObject('kv', {}))
  expect((await image(name, 'tags', 'item')).deltas).toBe(0)
  const other = keep(await openDatabase({ name }))
  expect(await other.dirtyMatchObject('kv', {})).toEqual(await db.dirtyMatchObject('kv', {}))
  expect((await other.dirtyRead('tags', 0)).length).toBe(2400)
  expect(await other.dirtyMatchObject('tags', {})).toEqual(await db.dirtyMatchObject('tags', {}))
})

it('a snapshot whose writing fails midway leaves the old image and `dumped`; nothing is lost, the next dump writes it', async () => {
  const name = uniqueName('img')
  const faults = new Faults()
  const db = keep(await openDatabaseOn(faults.wrap(idbBackend), { name }))
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await writeAll(db, 'kv', range(0, 3000).map((k) => ({ k, v: 0 })))
  await db.dumpLog()
  await writeAll(db, 'kv', range(0, 100).map((k) => ({ k, v: 1 })))
  await db.dumpLog()
  const before = await image(name, 'kv')
  const dumpedBefore = await (async () => {
    const idb = await openDB(`webnesia:${name}`)
    const d = (await idb.get('meta', 'dumped')) as number
    idb.close()
    return d
  })()
  // Enough changes for a new snapshot (below the threshold that dumps by itself); its second
  // chunk fails (the disc is full).
  await writeAll(db, 'kv', range(0, 999).map((k) => ({ k, v: 2 })))
  const fault = faults.add({ store: 't:kv', op: 'put', nth: 2, error: 'QuotaExceededError' })
  await expect(db.dumpLog()).rejects.toMatchObject({ code: 'quota' })
  expect(fault.failed).toBe(1)
  fault.remove()
  expect(await image(name, 'kv')).toEqual(before) // the old image, untouched
  const idb = await openDB(`webnesia:${name}`)
  expect(await idb.get('meta', 'dumped')).toBe(dumpedBefore)
  idb.close()
  // The log still holds the changes: another tab has them; the next dump writes the snapshot.
  const other = keep(await openDatabase({ name }))
  expect((await other.dirtyRead('kv', 998))[0]).toEqual({ k: 998, v: 2 })
  await db.dumpLog()
  const after = await image(name, 'kv')
  expect(after.records).toEqual(await db.dirtyMatchObject('kv', {}))
})

it('schema changes over an image: transformTable and a round trip through disc_only_copies keep every record', async () => {
  const name = uniqueName('img')
  const db = keep(await openDatabase({ name }))
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await writeAll(db, 'kv', range(0, 3000).map((k) => ({ k, v: k })))
  await db.dumpLog()
  await db.dirtyWrite('kv', { k: 7, v: 'delta' })
  await db.dirtyDelete('kv', 8)
  await db.dumpLog() // a snapshot plus two deltas
  await db.transformTable('kv', (r) => ({ ...r, v: typeof r['v'] === 'number' ? r['v'] * 2 : r['v'] }))
  let img = await image(name, 'kv')
  expect(img.deltas).toBe(0)
  expect(img.records).toHaveLength(2999)
  expect(img.records.find((r) => r['k'] === 7)).toEqual({ k: 7, v: 'delta' })
  expect(img.records.find((r) => r['k'] === 9)).toEqual({ k: 9, v: 18 })
  await db.changeTableCopyType('kv', db.node, 'disc_only_copies')
  const idb = await openDB(`webnesia:${name}`)
  expect(await idb.count('t:kv')).toBe(2999) // one row per record again
  idb.close()
  await db.changeTableCopyType('kv', db.node, 'disc_copies')
  img = await image(name, 'kv')
  expect(img.records).toHaveLength(2999)
  expect(img.chunks).toBeLessThan(50)
  const other = keep(await openDatabase({ name }))
  expect(await other.dirtyMatchObject('kv', {})).toEqual(await db.dirtyMatchObject('kv', {}))
})

it('the file backend keeps the same image: a snapshot, deltas and a rewrite load whole after a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'webnesia-img-'))
  dirs.push(dir)
  const name = 'img'
  let db = await openDatabase({ name, dir })
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await db.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
  await writeAll(db, 'kv', range(0, 4000).map((k) => ({ k, v: k })))
  await writeAll(db, 'tags', range(0, 3000).map((tag) => ({ item: tag % 3, tag })))
  await db.dumpLog()
  await db.dirtyWrite('kv', { k: 1, v: 'one' })
  await db.dirtyDelete('kv', 2)
  await db.dirtyDeleteObject('tags', { item: 1, tag: 1 })
  const expected = { kv: await db.dirtyMatchObject('kv', {}), tags: await db.dirtyMatchObject('tags', {}) }
  await db.close()
  db = await openDatabase({ name, dir })
  expect({ kv: await db.dirtyMatchObject('kv', {}), tags: await db.dirtyMatchObject('tags', {}) }).toEqual(expected)
  // Past the limit: rewritten, and still whole after a reopen.
  await writeAll(db, 'kv', range(0, 1000).map((k) => ({ k, v: 'again' })))
  await db.dumpLog()
  const again = await db.dirtyMatchObject('kv', {})
  await db.close()
  db = await openDatabase({ name, dir })
  expect(await db.dirtyMatchObject('kv', {})).toEqual(again)
  expect((await db.dirtyRead('tags', 1)).length).toBe(999)
  await db.close()
})
