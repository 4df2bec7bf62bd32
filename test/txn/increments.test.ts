/**
 * `t.updateCounter`: increments that commute. Concurrent transactions incrementing one key do
 * not conflict (no function runs twice) and no increment is lost; a read of the key inside the
 * transaction sees the increment and conflicts as a read; bad input is a typed error, changing
 * nothing; in a dirty context the increment commits at once.
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, WebnesiaError, type Database } from '../../src/index.js'
import { uniqueName } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

/** The code of an error, looking through a transaction abort to its reason. */
function codeOf(e: unknown): string {
  const w = e as WebnesiaError & { reason?: unknown }
  return w.code === 'aborted' && w.reason instanceof WebnesiaError ? w.reason.code : w.code
}

async function bank(): Promise<Database> {
  const db = await openDatabase({ name: uniqueName() })
  dbs.push(db)
  await db.createTable('branch', { attributes: ['bid', 'balance', 'filler'] })
  await db.createTable('hits', { attributes: ['page', 'n'] })
  await db.dirtyWrite('branch', { bid: 1, balance: 100, filler: 'x' })
  return db
}

it('50 concurrent transactions incrementing one field: none runs twice, none is lost', async () => {
  const db = await bank()
  let runs = 0
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      db.transaction(async (t) => {
        runs++
        await t.updateCounter('branch', 1, i, 'balance')
      }),
    ),
  )
  expect(runs).toBe(50)
  expect(await db.dirtyRead('branch', 1)).toEqual([{ bid: 1, balance: 100 + (49 * 50) / 2, filler: 'x' }])
})

it('the same workload with read-modify-write conflicts and runs functions again (what increments avoid)', async () => {
  const db = await bank()
  let runs = 0
  await Promise.all(
    Array.from({ length: 20 }, () =>
      db.transaction(async (t) => {
        runs++
        const [b] = await t.read('branch', 1)
        await t.write('branch', { ...b, balance: (b?.['balance'] as number) + 1 })
      }),
    ),
  )
  expect(runs).toBeGreaterThan(20)
  expect((await db.dirtyRead('branch', 1))[0]?.['balance']).toBe(120)
})

it('a Mnesia counter table: created when missing, never below 0, as dirtyUpdateCounter', async () => {
  const db = await bank()
  await db.transaction(async (t) => {
    await t.updateCounter('hits', '/a', 5)
    await t.updateCounter('hits', '/a', 2)
    expect(await t.read('hits', '/a')).toEqual([{ page: '/a', n: 7 }])
  })
  await db.transaction((t) => t.updateCounter('hits', '/a', -100))
  expect(await db.dirtyRead('hits', '/a')).toEqual([{ page: '/a', n: 0 }])
})

it('a read after the increment sees it, and makes the transaction conflict like any read', async () => {
  const db = await bank()
  const other = await openDatabase({ name: db.name })
  dbs.push(other)
  const seen: unknown[] = []
  await db.transaction(async (t) => {
    await t.updateCounter('branch', 1, 10, 'balance')
    seen.push(await t.read('branch', 1))
    if (seen.length === 1) await other.dirtyWrite('branch', { bid: 1, balance: 500, filler: 'y' })
  })
  expect(seen).toEqual([[{ bid: 1, balance: 110, filler: 'x' }], [{ bid: 1, balance: 510, filler: 'y' }]])
  expect(await db.dirtyRead('branch', 1)).toEqual([{ bid: 1, balance: 510, filler: 'y' }])
})

it('increments apply to the value current at commit, also after another tab wrote it', async () => {
  const db = await bank()
  const other = await openDatabase({ name: db.name })
  dbs.push(other)
  await db.transaction(async (t) => {
    await t.updateCounter('branch', 1, 1, 'balance')
    await other.dirtyWrite('branch', { bid: 1, balance: 500, filler: 'y' })
  })
  expect(await db.dirtyRead('branch', 1)).toEqual([{ bid: 1, balance: 501, filler: 'y' }])
})

it('bad input is a typed error and changes nothing', async () => {
  const db = await bank()
  const cases: [() => Promise<unknown>, string][] = [
    [() => db.transaction((t) => t.updateCounter('branch', 1, 1.5, 'balance')), 'bad_type'],
    [() => db.transaction((t) => t.updateCounter('branch', 1, Number.NaN, 'balance')), 'bad_type'],
    [() => db.transaction((t) => t.updateCounter('branch', 1, '1' as unknown as number, 'balance')), 'bad_type'],
    [() => db.transaction((t) => t.updateCounter('branch', 1, 1)), 'combine_error'],
    [() => db.transaction((t) => t.updateCounter('branch', 1, 1, 'bid')), 'badarg'],
    [() => db.transaction((t) => t.updateCounter('branch', 1, 1, 'nope')), 'badarg'],
    [() => db.transaction((t) => t.updateCounter('branch', 2, 1, 'balance')), 'no_exists'],
    [() => db.transaction((t) => t.updateCounter('branch', 1, 1, 'filler')), 'bad_type'],
    [() => db.transaction((t) => t.updateCounter('nope', 1, 1)), 'no_exists'],
  ]
  for (const [run, code] of cases) {
    const e = await run().catch((x: unknown) => x)
    expect(e, code).toBeInstanceOf(WebnesiaError)
    expect(codeOf(e), String(e)).toBe(code)
  }
  expect(await db.dirtyRead('branch', 1)).toEqual([{ bid: 1, balance: 100, filler: 'x' }])
  expect(await db.dirtyRead('branch', 2)).toEqual([])
})

it('in a dirty context the increment commits at once', async () => {
  const db = await bank()
  await db.activity('async_dirty', async (t) => {
    await t.updateCounter('branch', 1, 5, 'balance')
    expect(await db.dirtyRead('branch', 1)).toEqual([{ bid: 1, balance: 105, filler: 'x' }])
  })
})
