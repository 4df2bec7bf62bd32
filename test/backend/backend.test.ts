/**
 * The storage backend contract (src/backend/backend.ts), run over every implementation (today
 * IndexedDB through fake-indexeddb; a Node file backend joins the list), and the fault wrapper
 * (src/backend/faults.ts) that the commit-failure, dumper and quota tests use.
 */
import { backendConformance } from './conformance.js'
import { describe, expect, it } from 'vitest'
import { KeyRange, type BackendFactory, type StorageBackend } from '../../src/backend/backend.js'
import { Faults } from '../../src/backend/faults.js'
import { idbBackend } from '../../src/backend/idb.js'
import { fire } from '../../src/backend/requests.js'
import { uniqueName } from '../node/helpers.js'

function open(factory: BackendFactory): StorageBackend {
  return factory(uniqueName('backend'), (tx) => {
    tx.createStore('s')
    tx.createStore('auto', { autoIncrement: true })
  })
}

async function fill(b: StorageBackend, keys: number[]): Promise<void> {
  const tx = await b.transaction(['s'], 'readwrite', 'strict')
  for (const k of keys) fire(tx.store('s').put({ k, v: k * 10 }, k))
  await tx.done
}

for (const [impl, factory] of [
  ['indexeddb', idbBackend],
  ['indexeddb behind an empty fault wrapper', new Faults().wrap(idbBackend)],
] as const) {
  describe(`${impl} backend`, () => {
    it('reads keys in order, by key, range, direction and count', async () => {
      const b = open(factory)
      await fill(b, [5, 1, 3, 2, 4])
      const tx = await b.transaction(['s'], 'readonly')
      const s = tx.store('s')
      expect(await s.getAllKeys()).toEqual([1, 2, 3, 4, 5])
      expect(await s.get(3)).toEqual({ k: 3, v: 30 })
      expect(await s.getAllKeys(KeyRange.bound(2, 4, true, false))).toEqual([3, 4])
      expect(await s.getAllKeys(KeyRange.lowerBound(4))).toEqual([4, 5])
      expect(await s.getAll(KeyRange.upperBound(2, true))).toEqual([{ k: 1, v: 10 }])
      expect(await s.getAll(undefined, 2)).toEqual([
        { k: 1, v: 10 },
        { k: 2, v: 20 },
      ])
      expect(await s.count(KeyRange.only(9))).toBe(0)
      expect(await s.edgeKey(undefined, 'prev')).toBe(5)
      expect(await s.edgeKey(KeyRange.upperBound(3, true), 'prev')).toBe(2)
      expect((await s.entries(KeyRange.lowerBound(2), 'prev', 10)).map((e) => e.key)).toEqual([5, 4, 3, 2])
      expect((await s.entries(undefined, 'next', 2)).map((e) => e.key)).toEqual([1, 2])
      await tx.done
      b.close()
    })

    it('reads a whole store in chunks, in order', async () => {
      const b = open(factory)
      await fill(b, Array.from({ length: 10 }, (_, i) => i))
      const tx = await b.transaction(['s'], 'readonly')
      const chunks: number[][] = []
      await tx.store('s').readChunks(4, (rows) => chunks.push(rows.map((r) => (r as { k: number }).k)))
      expect(chunks).toEqual([
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
      ])
      b.close()
    })

    it('an add on a taken key fails with a ConstraintError and aborts everything of its transaction', async () => {
      const b = open(factory)
      await fill(b, [1])
      const tx = await b.transaction(['s'], 'readwrite')
      fire(tx.store('s').put({ k: 2 }, 2))
      const added = tx.store('s').add({ k: 1, again: true }, 1)
      await expect(added).rejects.toMatchObject({ name: 'ConstraintError' })
      await expect(tx.done).rejects.toBeDefined()
      const check = await b.transaction(['s'], 'readonly')
      expect(await check.store('s').getAllKeys()).toEqual([1])
      b.close()
    })

    it('the upgrade step creates and deletes stores and indexes', async () => {
      const b = open(factory)
      await b.upgrade(async (tx) => {
        tx.createStore('t')
        tx.createIndex('t', 'color')
        fire(tx.store('t').put({ id: 1, color: 'red' }, 1))
        fire(tx.store('t').put({ id: 2, color: 'blue' }, 2))
        tx.deleteStore('auto')
        return Promise.resolve()
      })
      expect((await b.storeNames()).sort()).toEqual(['s', 't'])
      const tx = await b.transaction(['t'], 'readonly')
      expect(tx.store('t').hasIndex('color')).toBe(true)
      expect(await tx.store('t').indexGetAll('color', 'blue')).toEqual([{ id: 2, color: 'blue' }])
      b.close()
      await expect(b.transaction(['s'], 'readonly')).rejects.toMatchObject({ code: 'closed' })
    })
  })
}

describe('the fault wrapper', () => {
  it('fails only the Nth matching request (transient), aborting its transaction with that error', async () => {
    const faults = new Faults()
    const b = open(faults.wrap(idbBackend))
    const rule = faults.add({ store: 's', op: 'put', nth: 2, error: 'QuotaExceededError' })
    const tx = await b.transaction(['s'], 'readwrite')
    const first = tx.store('s').put({ k: 1 }, 1)
    const second = tx.store('s').put({ k: 2 }, 2)
    const third = tx.store('s').put({ k: 3 }, 3)
    await expect(second).rejects.toMatchObject({ name: 'QuotaExceededError' })
    await expect(third).rejects.toMatchObject({ name: 'AbortError' })
    await expect(tx.done).rejects.toMatchObject({ name: 'QuotaExceededError' })
    await first.catch(() => undefined)
    expect(rule).toMatchObject({ seen: 2, failed: 1 })
    // Nothing of that transaction landed; the next one goes through (the fault was transient).
    await fill(b, [7])
    const check = await b.transaction(['s'], 'readonly')
    expect(await check.store('s').getAllKeys()).toEqual([7])
    expect(rule.failed).toBe(1)
    b.close()
  })

  it('a persistent rule fails every matching request from the Nth on, and only those; remove() lifts it', async () => {
    const faults = new Faults()
    const b = open(faults.wrap(idbBackend))
    const rule = faults.add({ store: 's', op: ['put', 'add'], persistent: true, error: 'UnknownError' })
    await expect(fill(b, [1])).rejects.toMatchObject({ name: 'UnknownError' })
    await expect(fill(b, [2])).rejects.toMatchObject({ name: 'UnknownError' })
    // Another store, and reads of this one, are not matched.
    const other = await b.transaction(['auto', 's'], 'readwrite')
    fire(other.store('auto').put('x', 1))
    expect(await other.store('s').count()).toBe(0)
    await other.done
    expect(rule.failed).toBe(2)
    rule.remove()
    await fill(b, [3])
    const check = await b.transaction(['s'], 'readonly')
    expect(await check.store('s').getAllKeys()).toEqual([3])
    b.close()
  })
})

// The same contract as the file backend runs (test/backend/file.test.ts): both implementations agree.
backendConformance('indexeddb', { open: (name, create = () => undefined) => idbBackend(name, create) })
