/**
 * `db.dirtyReadSync`: the synchronous read of a memory copy (Mnesia's ets-style read) returns
 * what `dirtyRead` resolves to, at once; bad input throws its typed error synchronously.
 */
import { afterEach, expect, it } from 'vitest'
import { BadKeyError, DatabaseClosedError, NoSuchTableError, openDatabase, WebnesiaError, type Database } from '../../src/index.js'
import { uniqueName } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

it('returns what dirtyRead returns, for ram_copies, disc_copies, bags and composite keys', async () => {
  const db = await openDatabase({ name: uniqueName() })
  dbs.push(db)
  await db.createTable('ram', { attributes: ['k', 'v'], storage: 'ram_copies' })
  await db.createTable('disc', { attributes: ['k', 'v'] })
  await db.createTable('bag', { attributes: ['k', 'v'], type: 'bag' })
  for (const [tab, key] of [['ram', 1], ['disc', 'a'], ['disc', [1, 'x']], ['bag', 2]] as const) {
    expect(db.dirtyReadSync(tab, key)).toEqual([])
    await db.dirtyWrite(tab, { k: key, v: 'one' })
    if (tab === 'bag') await db.dirtyWrite(tab, { k: key, v: 'two' })
    expect(db.dirtyReadSync(tab, key)).toEqual(await db.dirtyRead(tab, key))
    expect(db.dirtyReadSync(tab, key).length).toBe(tab === 'bag' ? 2 : 1)
  }
  // A transaction's commit is there as soon as it resolved.
  await db.transaction((t) => t.write('disc', { k: 'a', v: 'new' }))
  expect(db.dirtyReadSync('disc', 'a')).toEqual([{ k: 'a', v: 'new' }])
})

it('bad input throws synchronously with its typed error', async () => {
  const db = await openDatabase({ name: uniqueName() })
  dbs.push(db)
  await db.createTable('only', { attributes: ['k', 'v'], storage: 'disc_only_copies' })
  await db.createTable('disc', { attributes: ['k', 'v'] })
  expect(() => db.dirtyReadSync('nope', 1)).toThrow(NoSuchTableError)
  expect(() => db.dirtyReadSync(7 as unknown as string, 1)).toThrow(NoSuchTableError)
  expect(() => db.dirtyReadSync('disc', Number.NaN)).toThrow(BadKeyError)
  expect(() => db.dirtyReadSync('disc', { a: 1 } as unknown as string)).toThrow(BadKeyError)
  let err: unknown
  try {
    db.dirtyReadSync('only', 1)
  } catch (e) {
    err = e
  }
  expect(err).toBeInstanceOf(WebnesiaError)
  expect((err as WebnesiaError).code).toBe('bad_type')
  // dirtyRead keeps rejecting (never throwing) for the same input.
  await expect(db.dirtyRead('disc', Number.NaN)).rejects.toThrow(BadKeyError)
  await expect(db.dirtyRead('nope', 1)).rejects.toThrow(NoSuchTableError)
  expect(await db.dirtyRead('only', 1)).toEqual([])
  await db.close()
  expect(() => db.dirtyReadSync('disc', 1)).toThrow(DatabaseClosedError)
  await expect(db.dirtyRead('disc', 1)).rejects.toThrow(DatabaseClosedError)
})

it('a record with mutable leaves (a Date) is handed out as a copy: changing it changes nothing stored', async () => {
  const db = await openDatabase({ name: uniqueName() })
  dbs.push(db)
  await db.createTable('plain', { attributes: ['k', 'v'] })
  await db.dirtyWrite('plain', { k: 1, v: 'x' })
  expect(db.dirtyReadSync('plain', 1)).toEqual([{ k: 1, v: 'x' }]) // a table without mutable leaves so far
  await db.dirtyWrite('plain', { k: 2, v: new Date(0) })
  for (const read of [() => db.dirtyReadSync('plain', 2), () => db.dirtyRead('plain', 2), () => db.transaction((t) => t.read('plain', 2))]) {
    const [r] = await read()
    ;(r?.['v'] as Date).setTime(1234)
    expect(db.dirtyReadSync('plain', 2)).toEqual([{ k: 2, v: new Date(0) }])
  }
})
