/**
 * On-disc format 3 keys log records by their first LSN (racing commits collide on it) and keeps
 * no LSN in `meta`. A format-2 database (records keyed by their last LSN, `meta.lsn`) is re-keyed
 * on open and goes on where it was.
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
  expect(await check.get('meta', 'format')).toBe(3)
  expect(Math.max(...recs.flat().map((e) => e.lsn))).toBe(last + 1)
  check.close()
  await again.close()
  await other.close()
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
