/**
 * On-disc format 3 keys log records by their first LSN (racing commits collide on it) and keeps
 * no LSN in `meta`; format 4 lets the disc_copies stores lag the log (`meta.dumped`). A format-2
 * database (records keyed by their last LSN, `meta.lsn`) is re-keyed on open, and a format-2 or
 * format-3 one (stores written by every commit) is taken as dumped up to its last LSN.
 */
import { openDB } from 'idb'
import { expect, it } from 'vitest'
import { openDatabase } from '../../src/index.js'
import type { LogRecord } from '../../src/log/entry.js'
import { uniqueName } from './helpers.js'

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
  expect(await check.get('meta', 'format')).toBe(4)
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
  expect(await check.get('meta', 'format')).toBe(4)
  expect(await check.count('t:kv')).toBe(6)
  check.close()
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
