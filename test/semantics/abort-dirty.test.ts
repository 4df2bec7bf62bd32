/**
 * `t.abort` is final, and dirty operations called from inside a transaction function run at once
 * and never make it loop. Checked against Erlang/OTP 25 (ram_copies table o [k, v] holding
 * {o,1,a}):
 *
 *     mnesia:transaction(fun() -> mnesia:write({o,1234,y}), K = mnesia:all_keys(o),
 *         mnesia:dirty_write({o,4321,z}), K2 = mnesia:all_keys(o), R = mnesia:read(o, 4321),
 *         mnesia:abort({x, K, K2, R}) end)
 *     → {aborted,{x,[1234,1],[1234,4321,1],[{o,4321,z}]}}      table after: [{o,1,a},{o,4321,z}]
 *
 *     mnesia:transaction(fun() -> [{o,1,V}] = mnesia:read(o, 1), mnesia:dirty_write({o,1,b}),
 *         [{o,1,V2}] = mnesia:read(o, 1), mnesia:write({o,1,{V,V2}}), ok end)
 *     → {atomic,ok}                                             table after: {o,1,{a,b}}
 *
 *     mnesia:transaction(fun() -> mnesia:dirty_update_counter(o, c, 1), mnesia:abort(no) end)
 *     → {aborted,no}                                            dirty_read(o, c) → [{o,c,1}]
 */
import { afterEach, describe, expect, it } from 'vitest'
import { TransactionAbortedError, type Database } from '../../src/index.js'
import { fresh, settle, tick } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

/** The promise's outcome, or 'pending' if it has not settled within `ms` (a hang detector). */
async function outcome<T>(p: Promise<T>, ms = 3000): Promise<{ value: T } | { error: unknown } | 'pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const pending = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)))
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), pending])
  } finally {
    clearTimeout(timer)
  }
}

function reason(o: Awaited<ReturnType<typeof outcome>>): unknown {
  expect(o).not.toBe('pending')
  expect(o).toHaveProperty('error')
  const e = (o as { error: unknown }).error
  expect(e).toBeInstanceOf(TransactionAbortedError)
  return (e as TransactionAbortedError).reason
}

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  describe(`on ${storage}`, () => {
    async function setup(handles = 1): Promise<Database[]> {
      dbs = await fresh(handles)
      await (dbs[0] as Database).createTable('o', { attributes: ['k', 'v'], storage })
      await (dbs[0] as Database).dirtyWrite('o', { k: 1, v: 'a' })
      await settle(...dbs)
      return dbs
    }

    it('t.write, t.allKeys, db.dirtyWrite to the same table, t.abort: rejects with the reason at once (it used to loop forever)', async () => {
      const [db] = (await setup()) as [Database]
      let runs = 0
      const o = await outcome(
        db.transaction(async (t) => {
          runs++
          await t.write('o', { k: 1234, v: 'y' })
          const k = await t.allKeys('o')
          await db.dirtyWrite('o', { k: 4321, v: 'z' })
          const k2 = await t.allKeys('o')
          const r = await t.read('o', 4321)
          t.abort({ x: [k, k2, r] })
        }),
      )
      expect(reason(o)).toEqual({ x: [[1, 1234], [1, 1234, 4321], [{ k: 4321, v: 'z' }]] })
      expect(runs).toBe(1)
      expect(await db.dirtyAllKeys('o')).toEqual([1, 4321])
    })

    it('a dirty write to what the transaction read does not restart it; its later reads see it (OTP: {o,1,{a,b}})', async () => {
      const [db] = (await setup()) as [Database]
      let runs = 0
      const o = await outcome(
        db.transaction(async (t) => {
          runs++
          const [r] = await t.read('o', 1)
          await db.dirtyWrite('o', { k: 1, v: 'b' })
          const [r2] = await t.read('o', 1)
          await t.write('o', { k: 1, v: [r?.['v'], r2?.['v']] })
          return 'ok'
        }),
      )
      expect(o).toEqual({ value: 'ok' })
      expect(runs).toBe(1)
      expect(await db.dirtyRead('o', 1)).toEqual([{ k: 1, v: ['a', 'b'] }])
    })

    it('a dirty write not awaited before the function returns: committed once, the function run once', async () => {
      const [db] = (await setup()) as [Database]
      let runs = 0
      let dirty: Promise<void> | undefined
      const o = await outcome(
        db.transaction(async (t) => {
          runs++
          await t.allKeys('o')
          await t.read('o', 1)
          dirty = db.dirtyWrite('o', { k: 1, v: 'dirty' })
          await t.write('o', { k: 2, v: 'tx' })
          return runs
        }),
      )
      await dirty
      expect(o).toEqual({ value: 1 })
      expect(await db.dirtyRead('o', 1)).toEqual([{ k: 1, v: 'dirty' }])
      expect(await db.dirtyRead('o', 2)).toEqual([{ k: 2, v: 'tx' }])
    })

    it('every dirty kind from inside a transaction: counter, delete, clear-free asyncDirty; then abort keeps them (OTP: {aborted,no}, [{o,c,1}])', async () => {
      const [db] = (await setup()) as [Database]
      await db.createTable('c', { attributes: ['k', 'n'], storage })
      let runs = 0
      const o = await outcome(
        db.transaction(async (t) => {
          runs++
          await t.foldl((r, n: number) => n + (r['k'] as number), 0, 'o')
          await t.read('c', 'c')
          await db.dirtyUpdateCounter('c', 'c', 1)
          await db.dirtyDelete('o', 1)
          await db.asyncDirty((d) => d.write('o', { k: 7, v: 'async' }))
          await t.read('o', 7)
          t.abort('no')
        }),
      )
      expect(reason(o)).toBe('no')
      expect(runs).toBe(1)
      expect(await db.dirtyRead('c', 'c')).toEqual([{ k: 'c', n: 1 }])
      expect(await db.dirtyAllKeys('o')).toEqual([7])
    })

    it('t.abort is final even when another tab committed to what it read meanwhile', async () => {
      const [a, b] = (await setup(2)) as [Database, Database]
      let runs = 0
      const o = await outcome(
        a.transaction(async (t) => {
          runs++
          await t.read('o', 1)
          await b.dirtyWrite('o', { k: 1, v: 'other tab' })
          await settle(a)
          t.abort('final')
        }),
      )
      expect(reason(o)).toBe('final')
      expect(runs).toBe(1)
    })

    it('an error thrown after another commit changed what it read is final too (Mnesia: {aborted, Reason})', async () => {
      const [a, b] = (await setup(2)) as [Database, Database]
      let runs = 0
      const o = await outcome(
        a.transaction(async (t) => {
          runs++
          const [r] = await t.read('o', 1)
          await b.dirtyWrite('o', { k: 1, v: 'other tab' })
          await settle(a)
          throw new Error(`saw ${String(r?.['v'])}`)
        }),
      )
      expect((reason(o) as Error).message).toBe('saw a')
      expect(runs).toBe(1)
    })

    it('a conflict the function caught and turned into its own error still runs it again', async () => {
      const [a, b] = (await setup(2)) as [Database, Database]
      let runs = 0
      const v = await a.transaction(async (t) => {
        runs++
        await t.read('o', 1)
        if (runs === 1) {
          await b.dirtyWrite('o', { k: 1, v: 'other tab' })
          await settle(a)
        }
        try {
          return (await t.read('o', 1))[0]?.['v']
        } catch {
          throw new Error('read failed')
        }
      })
      expect(runs).toBe(2)
      expect(v).toBe('other tab')
    })

    it("another tab's commit still restarts a transaction that then commits (optimistic validation kept)", async () => {
      const [a, b] = (await setup(2)) as [Database, Database]
      let runs = 0
      await a.transaction(async (t) => {
        runs++
        const [r] = await t.read('o', 1)
        if (runs === 1) {
          await b.dirtyWrite('o', { k: 1, v: 'b' })
          await tick()
          await settle(a)
        }
        await db2Write(t, r?.['v'])
      })
      expect(runs).toBe(2)
      expect(await a.dirtyRead('o', 1)).toEqual([{ k: 1, v: 'b+' }])
      async function db2Write(t: Parameters<Parameters<Database['transaction']>[0]>[0], v: unknown): Promise<void> {
        await t.write('o', { k: 1, v: `${String(v)}+` })
      }
    })
  })
}
