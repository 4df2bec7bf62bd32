/** A commit that IndexedDB refuses leaves memory equal to disc, fires no event, and the next one works. */
import { afterEach, expect, it } from 'vitest'
import { idbBackend } from '../../src/backend/idb.js'
import { Faults } from '../../src/backend/faults.js'
import { openDatabaseOn } from '../../src/open.js'
import { openDatabase, StorageFullError, WebnesiaError, type Database } from '../../src/index.js'
import { settle, uniqueName } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

const faults = new Faults()
afterEach(() => {
  faults.clear()
})

/** A tab whose storage requests go through {@link faults}. */
function openFaulty(name: string): Promise<Database> {
  return openDatabaseOn(faults.wrap(idbBackend), { name })
}

/** Makes every put and add into store `store` fail (with DOMException `name`) until restored. */
function failWrites(store: string, name: string): { restore: () => void } {
  const rule = faults.add({ store, op: ['put', 'add'], persistent: true, error: name })
  return { restore: () => rule.remove() }
}

for (const [domName, errClass, code] of [
  ['QuotaExceededError', StorageFullError, 'quota'],
  ['UnknownError', WebnesiaError, 'storage'],
] as const) {
  it(`an IndexedDB ${domName} during commit: ${code} error, memory equals disc, no events anywhere`, async () => {
    const name = uniqueName()
    const a = await openFaulty(name)
    const b = await openDatabase({ name })
    dbs = [a, b]
    await a.createTable('acct', { attributes: ['id', 'bal'] })
    await a.createTable('log', { attributes: ['id', 'what'], storage: 'ram_copies' })
    await a.dirtyWrite('acct', { id: 1, bal: 10 })
    await settle(a, b)
    const events: unknown[] = []
    a.subscribe({ table: 'acct' }, (e) => events.push(e))
    b.subscribe({ table: 'acct' }, (e) => events.push(e))
    a.subscribe({ table: 'log' }, (e) => events.push(e))
    // A commit to disc_copies tables writes the log (the dumper writes their stores later).
    const fault = failWrites('log', domName)
    let err: unknown
    try {
      err = await a
        .transaction(async (t) => {
          await t.write('log', { id: 1, what: 'debit' })
          await t.write('acct', { id: 1, bal: 0 })
        })
        .catch((e: unknown) => e)
    } finally {
      fault.restore()
    }
    expect(err).toBeInstanceOf(errClass)
    expect((err as WebnesiaError).code).toBe(code)
    expect(await a.dirtyRead('acct', 1)).toEqual([{ id: 1, bal: 10 }])
    expect(await a.dirtyRead('log', 1)).toEqual([])
    // Disc, as a fresh tab loads it, agrees with memory.
    const c = await openDatabase({ name })
    dbs.push(c)
    expect(await c.dirtyRead('acct', 1)).toEqual([{ id: 1, bal: 10 }])
    await settle(a, b)
    expect(await b.dirtyRead('log', 1)).toEqual([])
    expect(events).toEqual([])
    // The node goes on.
    await a.transaction((t) => t.write('acct', { id: 1, bal: 5 }))
    await settle(b)
    expect(await b.dirtyRead('acct', 1)).toEqual([{ id: 1, bal: 5 }])
  })
}

it('a failed group commit fails every request of the group, and only them', async () => {
  const db = await openFaulty(uniqueName())
  dbs = [db]
  await db.createTable('x', { attributes: ['k', 'v'] })
  const fault = failWrites('log', 'QuotaExceededError')
  const results = await Promise.allSettled(Array.from({ length: 5 }, (_, k) => db.dirtyWrite('x', { k, v: 1 })))
  fault.restore()
  expect(results.every((r) => r.status === 'rejected')).toBe(true)
  expect(await db.dirtyAllKeys('x')).toEqual([])
  await db.dirtyWrite('x', { k: 9, v: 1 })
  expect(await db.dirtyAllKeys('x')).toEqual([9])
})

it('a disc_only_copies store refusing a write fails the whole commit, the disc_copies half included', async () => {
  const name = uniqueName()
  const a = await openFaulty(name)
  dbs = [a]
  await a.createTable('acct', { attributes: ['id', 'bal'] })
  await a.createTable('audit', { attributes: ['id', 'what'], storage: 'disc_only_copies' })
  const fault = failWrites('t:audit', 'QuotaExceededError')
  let err: unknown
  try {
    err = await a
      .transaction(async (t) => {
        await t.write('acct', { id: 1, bal: 0 })
        await t.write('audit', { id: 1, what: 'debit' })
      })
      .catch((e: unknown) => e)
  } finally {
    fault.restore()
  }
  expect(err).toBeInstanceOf(StorageFullError)
  expect(await a.dirtyRead('acct', 1)).toEqual([])
  expect(await a.dirtyRead('audit', 1)).toEqual([])
  const c = await openDatabase({ name })
  dbs.push(c)
  expect(await c.dirtyRead('acct', 1)).toEqual([])
  expect(await c.dirtyRead('audit', 1)).toEqual([])
})
