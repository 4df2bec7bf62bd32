/** Dirty operations and access contexts, on every table type and storage type. */
import { afterEach, describe, expect, it } from 'vitest'
import { WebnesiaError, type Database } from '../../src/index.js'
import { fresh, settle } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

for (const type of ['set', 'ordered_set', 'bag'] as const) {
  for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
    it(`every dirty function on a ${type} ${storage} table`, async () => {
      const [db] = (dbs = await fresh()) as [Database]
      await db.createTable('p', { attributes: ['k', 'color', 'n'], type, storage, index: ['color'] })
      for (const k of [5, 1, 3, 'a', [2, 'x']]) await db.dirtyWrite('p', { k, color: typeof k === 'number' ? 'red' : 'blue', n: 1 })
      if (type === 'bag') await db.dirtyWrite('p', { k: 1, color: 'green', n: 2 })
      const order = [1, 3, 5, 'a', [2, 'x']]
      expect(await db.dirtyAllKeys('p')).toEqual(order)
      expect(await db.dirtyFirst('p')).toBe(1)
      expect(await db.dirtyLast('p')).toEqual([2, 'x'])
      expect(await db.dirtyNext('p', 3)).toBe(5)
      expect(await db.dirtyPrev('p', 'a')).toBe(5)
      expect(await db.dirtyNext('p', [2, 'x'])).toBeUndefined()
      expect((await db.dirtyRead('p', 1)).map((r) => r['color'])).toEqual(type === 'bag' ? ['green', 'red'] : ['red'])
      expect((await db.dirtyIndexRead('p', 'blue', 'color')).map((r) => r['k'])).toEqual(['a', [2, 'x']])
      expect((await db.dirtyIndexMatchObject('p', { color: 'red', k: '$1' }, 'color')).map((r) => r['k'])).toEqual([1, 3, 5])
      expect((await db.dirtyMatchObject('p', { k: [2, '_'] })).map((r) => r['color'])).toEqual(['blue'])
      expect(await db.dirtySelect('p', [[{ k: '$1', color: 'red' }, [['>', '$1', 2]], ['$1']]])).toEqual([3, 5])
      // chunked
      const seen: unknown[] = []
      let c = await db.dirtySelect('p', [[{ k: '$1' }, [], ['$1']]], 2)
      while (c) {
        expect(c.results.length).toBeLessThanOrEqual(2)
        seen.push(...c.results)
        c = await db.selectContinue(c.cont)
      }
      expect(seen).toEqual(type === 'bag' ? [1, 1, 3, 5, 'a', [2, 'x']] : order)
      // slots: every key once
      const slots: unknown[] = []
      for (let i = 0; ; i++) {
        const s = await db.dirtySlot('p', i)
        if (s === undefined) break
        slots.push(s[0]?.['k'])
      }
      expect(slots).toEqual(order)
      // deletes
      await db.dirtyDeleteObject('p', { k: 3, color: 'red', n: 99 }) // not that record: nothing happens
      expect(await db.dirtyRead('p', 3)).toHaveLength(1)
      await db.dirtyDeleteObject('p', { k: 3, color: 'red', n: 1 })
      expect(await db.dirtyRead('p', 3)).toEqual([])
      await db.dirtyDelete('p', 1)
      expect(await db.dirtyAllKeys('p')).toEqual([5, 'a', [2, 'x']])
      expect(db.tableInfo('p', 'size')).toBe(3)
      expect((await db.dirtyIndexRead('p', 'red', 'color')).map((r) => r['k'])).toEqual([5])
    })
  }
}

describe('dirtyUpdateCounter', () => {
  it('creates a missing counter, never goes below zero, and is atomic across tabs', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    await a.createTable('c', { attributes: ['k', 'n'] })
    await b.waitForTables(['c'], 2000)
    expect(await a.dirtyUpdateCounter('c', 'x', 5)).toBe(5)
    expect(await a.dirtyUpdateCounter('c', 'x', -8)).toBe(0)
    const values = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).dirtyUpdateCounter('c', 'x', 1)))
    expect([...values].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    await settle(a, b)
    expect(await b.dirtyRead('c', 'x')).toEqual([{ k: 'x', n: 40 }])
  })

  it('is a combine_error on a bag or a table without exactly 2 attributes', async () => {
    const [db] = (dbs = await fresh()) as [Database]
    await db.createTable('bag', { attributes: ['k', 'n'], type: 'bag' })
    await db.createTable('three', { attributes: ['k', 'n', 'x'] })
    for (const [t, k] of [['bag', 1], ['three', 1]] as const) {
      const err = await db.dirtyUpdateCounter(t, k, 1).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(WebnesiaError)
      expect((err as WebnesiaError).code).toBe('combine_error')
    }
    // A stored value that is not a number is replaced as OTP 25 does: test/semantics/counter.test.ts.
  })
})

describe('access contexts', () => {
  it('ets works on ram_copies only, in memory only: other tabs do not see it', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    await a.createTable('r', { attributes: ['k', 'v'], storage: 'ram_copies' })
    await a.createTable('d', { attributes: ['k', 'v'] })
    await b.waitForTables(['r', 'd'], 2000)
    await a.ets((t) => t.write('r', { k: 1, v: 'ets' }))
    expect(await a.ets((t) => t.read('r', 1))).toEqual([{ k: 1, v: 'ets' }])
    await settle(a, b)
    expect(await b.dirtyRead('r', 1)).toEqual([])
    const err = await a.ets((t) => t.write('d', { k: 1, v: 'no' })).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WebnesiaError)
    expect(await a.dirtyRead('d', 1)).toEqual([])
  })

  it('async_dirty and sync_dirty write at once, without a transaction', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    await a.createTable('d', { attributes: ['k', 'v'] })
    await b.waitForTables(['d'], 2000)
    await a.asyncDirty(async (t) => {
      await t.write('d', { k: 1, v: 'async' })
      expect(await a.dirtyRead('d', 1)).toEqual([{ k: 1, v: 'async' }])
    })
    await a.syncDirty((t) => t.write('d', { k: 2, v: 'sync' }))
    await settle(a, b)
    expect(await b.dirtyAllKeys('d')).toEqual([1, 2])
    await expect(a.activity('nonsense' as never, () => 1)).rejects.toMatchObject({ code: 'badarg' })
  })
})
