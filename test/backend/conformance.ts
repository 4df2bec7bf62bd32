/**
 * The storage backend contract (src/backend/backend.ts), as one suite every backend runs
 * (Replicache's `runAll(name, factory)`): key order, ranges, atomicity, isolation, the upgrade
 * step, indexes, and what a failing request does.
 */
import { describe, expect, it } from 'vitest'
import { KeyRange, type StorageBackend, type UpgradeTx } from '../../src/backend/backend.js'

/** Opens a backend on a fresh node `name`; `reopen` opens the same node again after `close`. */
export interface BackendHarness {
  open(name: string, create?: (tx: UpgradeTx) => void): StorageBackend
}

let n = 0
const fresh = (): string => `conf-${String(process.pid)}-${String(++n)}-${Math.random().toString(36).slice(2, 6)}`

async function withStore(h: BackendHarness, stores: string[] = ['s'], index?: [string, string]): Promise<StorageBackend> {
  const b = h.open(fresh(), (tx) => {
    for (const s of stores) tx.createStore(s)
    if (index) tx.createIndex(index[0], index[1])
  })
  await b.storeNames()
  return b
}

export function backendConformance(name: string, h: BackendHarness): void {
  describe(`storage backend contract: ${name}`, () => {
    it('keeps keys in IndexedDB order, in both directions, within ranges', async () => {
      const b = await withStore(h)
      const keys = [[1, 'a'], 'b', new Date(5), 3, 'a', [1], new Uint8Array([2]), -1]
      const tx = await b.transaction(['s'], 'readwrite', 'strict')
      for (const k of keys) void tx.store('s').put({ k }, k)
      await tx.done
      const r = await b.transaction(['s'], 'readonly')
      const s = r.store('s')
      const all = await s.getAllKeys()
      expect(all.length).toBe(8)
      expect(all.slice(0, 5)).toEqual([-1, 3, new Date(5), 'a', 'b'])
      expect(new Uint8Array(all[5] as ArrayBuffer)).toEqual(new Uint8Array([2]))
      expect(all.slice(6)).toEqual([[1], [1, 'a']])
      expect(await s.getAllKeys(KeyRange.bound(3, 'b', true, false))).toEqual([new Date(5), 'a', 'b'])
      expect(await s.edgeKey(undefined, 'prev')).toEqual([1, 'a'])
      expect(await s.edgeKey(KeyRange.upperBound('a', true), 'prev')).toEqual(new Date(5))
      expect((await s.entries(KeyRange.lowerBound('a'), 'next', 2)).map((e) => e.key)).toEqual(['a', 'b'])
      expect(await s.count(KeyRange.bound(-5, 10))).toBe(2)
      expect(await s.getAll(3)).toEqual([{ k: 3 }])
      await r.done
      b.close()
    })

    it('sees its own writes; an abort leaves nothing; a failed add aborts the whole transaction', async () => {
      const b = await withStore(h)
      const t1 = await b.transaction(['s'], 'readwrite', 'strict')
      void t1.store('s').put('one', 1)
      expect(await t1.store('s').get(1)).toBe('one')
      await t1.done
      const t2 = await b.transaction(['s'], 'readwrite', 'strict')
      void t2.store('s').put('two', 2).catch(() => undefined)
      void t2.store('s').delete(1).catch(() => undefined)
      await t2.store('s').count()
      t2.abort()
      await expect(t2.done).rejects.toMatchObject({ name: 'AbortError' })
      const t3 = await b.transaction(['s'], 'readwrite', 'strict')
      void t3.store('s').put('three', 3).catch(() => undefined)
      const added = t3.store('s').add('again', 1)
      await expect(added).rejects.toMatchObject({ name: 'ConstraintError' })
      await expect(t3.done).rejects.toBeDefined() // the ConstraintError, or IndexedDB's AbortError
      const r = await b.transaction(['s'], 'readonly')
      expect(await r.store('s').getAll()).toEqual(['one'])
      b.close()
    })

    it('runs overlapping readwrite transactions one after the other, in the order they were opened', async () => {
      const b = await withStore(h)
      const order: string[] = []
      const a = await b.transaction(['s'], 'readwrite', 'strict')
      const c = await b.transaction(['s'], 'readwrite', 'strict')
      void c.store('s').get('x').then((v) => order.push(`c read ${String(v)}`))
      void a.store('s').put('from a', 'x').then(() => order.push('a put'))
      await Promise.all([a.done, c.done])
      expect(order).toEqual(['a put', 'c read from a'])
      b.close()
    })

    it('stays open across chained requests and commits when none is pending', async () => {
      const b = await withStore(h)
      const tx = await b.transaction(['s'], 'readwrite', 'strict')
      const s = tx.store('s')
      for (let i = 0; i < 50; i++) {
        const v = (await s.get('n')) as number | undefined
        void s.put((v ?? 0) + 1, 'n')
      }
      await tx.done
      const r = await b.transaction(['s'], 'readonly')
      expect(await r.store('s').get('n')).toBe(50)
      await expect(r.store('s').get('n').then(() => r.done)).resolves.toBeUndefined()
      await expect((async () => r.store('s').get('n'))()).rejects.toBeDefined() // finished: TransactionInactiveError / InvalidStateError
      b.close()
    })

    it('creates and drops stores and indexes in the upgrade step; indexes follow writes', async () => {
      const b = await withStore(h, ['s'], ['s', 'color'])
      const tx = await b.transaction(['s'], 'readwrite', 'strict')
      void tx.store('s').put({ color: 'red', n: 1 }, 'b')
      void tx.store('s').put({ color: 'red', n: 2 }, 'a')
      void tx.store('s').put({ color: 'blue', n: 3 }, 'c')
      void tx.store('s').put({ n: 4 }, 'd')
      void tx.store('s').put({ color: 'green', n: 5 }, 'a') // replaces: a leaves 'red'
      await tx.done
      const r = await b.transaction(['s'], 'readonly')
      expect(r.store('s').hasIndex('color')).toBe(true)
      expect(await r.store('s').indexGetAll('color', 'red')).toEqual([{ color: 'red', n: 1 }])
      expect(await r.store('s').indexGetAll('color', 'green')).toEqual([{ color: 'green', n: 5 }])
      await r.done
      await b.upgrade(async (u) => {
        u.deleteIndex('s', 'color')
        u.createStore('t')
        void u.store('t').put('v', 'k')
        return Promise.resolve()
      })
      expect(await b.storeNames()).toEqual(['s', 't'])
      const r2 = await b.transaction(['s', 't'], 'readonly')
      expect(r2.store('s').hasIndex('color')).toBe(false)
      expect(await r2.store('t').get('k')).toBe('v')
      await expect(b.upgrade(() => Promise.reject(new Error('no')))).rejects.toThrow('no')
      await expect(b.transaction(['nope'], 'readonly').then((t) => t.store('nope').get(1))).rejects.toMatchObject({ name: 'NotFoundError' })
      b.close()
    })

    it('reads every row in chunks, in key order', async () => {
      const b = await withStore(h)
      const tx = await b.transaction(['s'], 'readwrite', 'strict')
      for (let i = 0; i < 1000; i++) void tx.store('s').put(i, i)
      await tx.done
      const r = await b.transaction(['s'], 'readonly')
      const seen: number[] = []
      await r.store('s').readChunks(100, (rows) => seen.push(...(rows as number[])))
      expect(seen).toEqual([...Array(1000).keys()])
      b.close()
    })

    it('hands out copies: mutating a value read or written changes nothing stored', async () => {
      const b = await withStore(h)
      const v = { a: [1] }
      const tx = await b.transaction(['s'], 'readwrite', 'strict')
      void tx.store('s').put(v, 1)
      v.a.push(2)
      const got = (await tx.store('s').get(1)) as { a: number[] }
      got.a.push(3)
      await tx.done
      const r = await b.transaction(['s'], 'readonly')
      expect(await r.store('s').get(1)).toEqual({ a: [1] })
      b.close()
    })
    it('an autoIncrement store takes explicit keys; the last key read and added to in one transaction (replication/doc-store.ts)', async () => {
      const b = h.open(fresh(), (tx) => {
        tx.createStore('u', { autoIncrement: true })
      })
      await b.storeNames()
      const append = async (v: Uint8Array): Promise<void> => {
        const tx = await b.transaction(['u'], 'readwrite')
        const s = tx.store('u')
        const last = await s.edgeKey(undefined, 'prev')
        void s.add(v, typeof last === 'number' ? last + 1 : 1)
        await tx.done
      }
      // Two appends opened together run one after the other: each sees the other's key.
      await Promise.all([append(new Uint8Array([1, 2])), append(new Uint8Array([3]))])
      await append(new Uint8Array([4]))
      const r = await b.transaction(['u'], 'readonly')
      expect(await r.store('u').getAllKeys()).toEqual([1, 2, 3])
      const vals = (await r.store('u').getAll()) as Uint8Array[]
      expect(vals.every((v) => v instanceof Uint8Array)).toBe(true)
      expect(vals.map((v) => [...v]).flat().sort()).toEqual([1, 2, 3, 4])
      b.close()
    })
  })
}
