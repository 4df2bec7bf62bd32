/**
 * On-disc format 5 keeps a disc_copies table as snapshot chunks and deltas (storage/disc-image.ts);
 * formats 2 to 4 kept one row per record, converted on open. Format 3 keys log records by their first LSN (racing commits collide on it) and keeps
 * no LSN in `meta`; format 4 lets the disc_copies stores lag the log (`meta.dumped`). A format-2
 * database (records keyed by their last LSN, `meta.lsn`) is re-keyed on open, and a format-2 or
 * format-3 one (stores written by every commit) is taken as dumped up to its last LSN.
 */
import { openDB } from 'idb'
import { expect, it } from 'vitest'
import { openDatabase } from '../../src/index.js'
import { FORMAT } from '../../src/log/connection.js'
import type { LogRecord } from '../../src/log/entry.js'
import { imageRecords } from '../storage/image-rows.js'
import { uniqueName } from './helpers.js'

/** Turns a table's store back into what formats 2 to 4 wrote: one row per record under its key (bags: `[key, canonical]`). */
async function perRecordStore(name: string, table: string, rows: readonly { key: IDBValidKey; value: unknown }[]): Promise<void> {
  const raw = await openDB(`webnesia:${name}`)
  const tx = raw.transaction(`t:${table}`, 'readwrite')
  await tx.store.clear()
  for (const { key, value } of rows) await tx.store.put(value, key)
  await tx.done
  raw.close()
}

/** The records of a table's store, its image decoded. */
async function storeRecords(name: string, table: string, keyAttr: string): Promise<Record<string, unknown>[]> {
  const raw = await openDB(`webnesia:${name}`)
  const keys = await raw.getAllKeys(`t:${table}`)
  const values = await raw.getAll(`t:${table}`)
  raw.close()
  return imageRecords(keys.map((key, i) => ({ key, value: values[i] as unknown })), keyAttr)
}

it('a format-2 database is re-keyed on open; LSNs, data and later commits carry on', async () => {
  const name = uniqueName('fmt')
  const db = await openDatabase({ name })
  await db.createTable('kv', { attributes: ['k', 'v'] })
  // A group commit of three (one log record holding three entries), then two more commits.
  await Promise.all([1, 2, 3].map((k) => db.dirtyWrite('kv', { k, v: 'group' })))
  await db.dirtyWrite('kv', { k: 4, v: 'alone' })
  await db.dirtyWrite('kv', { k: 5, v: 'alone' })
  await db.close()

  // Turn it into what format 2 wrote.
  const rows = [1, 2, 3].map((k) => ({ k, v: 'group' })).concat([4, 5].map((k) => ({ k, v: 'alone' })))
  await perRecordStore(name, 'kv', rows.map((r) => ({ key: r.k, value: r })))
  const raw = await openDB(`webnesia:${name}`)
  const records = (await raw.getAll('log')) as LogRecord[]
  expect(records.some((r) => r.length > 1)).toBe(true) // the group really is one record
  const last = Math.max(...records.map((r) => (r[r.length - 1] as { lsn: number }).lsn))
  const tx = raw.transaction(['log', 'meta'], 'readwrite')
  await tx.objectStore('log').clear()
  for (const r of records) await tx.objectStore('log').put(r, (r[r.length - 1] as { lsn: number }).lsn)
  await tx.objectStore('meta').put(2, 'format')
  await tx.objectStore('meta').put(last, 'lsn')
  await tx.objectStore('meta').delete('dumped')
  await tx.done
  raw.close()

  const again = await openDatabase({ name })
  const other = await openDatabase({ name })
  expect((await again.dirtyMatchObject('kv', {})).length).toBe(5)
  await again.dirtyWrite('kv', { k: 6, v: 'after' })
  await (other as unknown as { local: { catchUp(): Promise<void> } }).local.catchUp()
  expect(await other.dirtyRead('kv', 6)).toEqual([{ k: 6, v: 'after' }])
  const check = await openDB(`webnesia:${name}`)
  const keys = (await check.getAllKeys('log')) as number[]
  const recs = (await check.getAll('log')) as LogRecord[]
  expect(recs.map((r) => (r[0] as { lsn: number }).lsn)).toEqual(keys)
  expect(await check.get('meta', 'format')).toBe(FORMAT)
  expect(Math.max(...recs.flat().map((e) => e.lsn))).toBe(last + 1)
  check.close()
  await again.close()
  await other.close()
})

it('a format-3 database whose log was truncated is taken as dumped: nothing replayed, commits carry on', async () => {
  const name = uniqueName('fmt3')
  const db = await openDatabase({ name })
  await db.createTable('kv', { attributes: ['k', 'v'] })
  for (let k = 1; k <= 5; k++) await db.dirtyWrite('kv', { k, v: 'before' })
  await db.close() // dumps: the stores hold every commit, as format 3 kept them
  await perRecordStore(name, 'kv', [1, 2, 3, 4, 5].map((k) => ({ key: k, value: { k, v: 'before' } })))
  // What format 3 left after housekeeping: only the last log record, no `dumped`.
  const raw = await openDB(`webnesia:${name}`)
  const keys = (await raw.getAllKeys('log')) as number[]
  const tx = raw.transaction(['log', 'meta'], 'readwrite')
  await tx.objectStore('log').delete(IDBKeyRange.upperBound(Math.max(...keys), true))
  await tx.objectStore('meta').put(3, 'format')
  await tx.objectStore('meta').delete('dumped')
  await tx.done
  raw.close()

  const again = await openDatabase({ name })
  expect((await again.dirtyMatchObject('kv', {})).length).toBe(5)
  await again.dirtyWrite('kv', { k: 6, v: 'after' })
  await again.close()
  const check = await openDB(`webnesia:${name}`)
  expect(await check.get('meta', 'format')).toBe(FORMAT)
  check.close()
  expect((await storeRecords(name, 'kv', 'k')).length).toBe(6)
})

it('a format-4 database (one row per record, the log after `dumped` not in the stores) loads and is converted once', async () => {
  const name = uniqueName('fmt4')
  const db = await openDatabase({ name })
  await db.createTable('kv', { attributes: ['k', 'v'] })
  await db.createTable('tags', { attributes: ['item', 'tag'], type: 'bag' })
  await db.createTable('only', { attributes: ['k', 'v'], storage: 'disc_only_copies' })
  for (let k = 1; k <= 3; k++) await db.dirtyWrite('kv', { k, v: 'dumped' })
  for (const tag of ['a', 'b', 'c']) await db.dirtyWrite('tags', { item: 1, tag })
  await db.dirtyWrite('only', { k: 1, v: 'row' })
  await db.dumpLog()
  const dumped = await (async () => {
    const raw = await openDB(`webnesia:${name}`)
    const d = (await raw.get('meta', 'dumped')) as number
    raw.close()
    return d
  })()
  // Two commits format 4 would have left in the log only (after `dumped`).
  await db.dirtyWrite('kv', { k: 4, v: 'in the log' })
  await db.dirtyDelete('kv', 1)
  ;(db as unknown as { local: { dumps: { dump: () => Promise<number> } } }).local.dumps.dump = () => Promise.resolve(dumped)
  await db.close()
  // What format 4 kept: each record in its own row, `dumped` before the last two commits.
  await perRecordStore(name, 'kv', [1, 2, 3].map((k) => ({ key: k, value: { k, v: 'dumped' } })))
  await perRecordStore(name, 'tags', ['a', 'b', 'c'].map((tag) => ({ key: [1, `s${JSON.stringify(tag)}`], value: { item: 1, tag } })))
  {
    const raw = await openDB(`webnesia:${name}`)
    await raw.put('meta', 4, 'format')
    expect(await raw.get('meta', 'dumped')).toBe(dumped)
    raw.close()
  }

  const again = await openDatabase({ name })
  expect(await again.dirtyMatchObject('kv', {})).toEqual([
    { k: 2, v: 'dumped' },
    { k: 3, v: 'dumped' },
    { k: 4, v: 'in the log' },
  ])
  expect(await again.dirtyRead('tags', 1)).toEqual(['a', 'b', 'c'].map((tag) => ({ item: 1, tag })))
  expect(await again.dirtyRead('only', 1)).toEqual([{ k: 1, v: 'row' }])
  await again.close()
  const check = await openDB(`webnesia:${name}`)
  expect(await check.get('meta', 'format')).toBe(FORMAT)
  const kinds = ((await check.getAllKeys('t:kv')) as unknown[][]).map((k) => k[0])
  expect(kinds.every((k) => k === 0 || k === 1)).toBe(true) // snapshot chunks and deltas only
  expect(await check.getAll('t:only')).toEqual([{ k: 1, v: 'row' }]) // disc_only_copies keep a row per record
  check.close()
  expect(await storeRecords(name, 'kv', 'k')).toEqual([
    { k: 2, v: 'dumped' },
    { k: 3, v: 'dumped' },
    { k: 4, v: 'in the log' },
  ])
  const reopened = await openDatabase({ name })
  expect((await reopened.dirtyMatchObject('tags', {})).length).toBe(3)
  await reopened.close()
})

it('a database written by a newer format is refused, not touched', async () => {
  const name = uniqueName('fmt-new')
  const db = await openDatabase({ name })
  await db.close()
  const raw = await openDB(`webnesia:${name}`)
  await raw.put('meta', 99, 'format')
  raw.close()
  await expect(openDatabase({ name })).rejects.toMatchObject({ code: 'not_supported' })
  const check = await openDB(`webnesia:${name}`)
  expect(await check.get('meta', 'format')).toBe(99)
  check.close()
})
