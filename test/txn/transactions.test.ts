/** Transactions: read-your-writes, aborts and their reasons, nesting, retries, isolation. */
import { afterEach, describe, expect, it } from 'vitest'
import { NoSuchTableError, TransactionAbortedError, WebnesiaError, type Database } from '../../src/index.js'
import { fresh, settle, tick } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

async function setup(handles = 1, storage: 'ram_copies' | 'disc_copies' | 'disc_only_copies' = 'disc_copies'): Promise<Database[]> {
  dbs = await fresh(handles)
  const db = dbs[0] as Database
  await db.createTable('emp', { attributes: ['id', 'name', 'dept'], type: 'ordered_set', storage, index: ['dept'] })
  await db.createTable('tag', { attributes: ['id', 'tag'], type: 'bag', storage })
  await db.transaction(async (t) => {
    for (let i = 1; i <= 5; i++) await t.write('emp', { id: i, name: `e${String(i)}`, dept: i % 2 ? 'odd' : 'even' })
    await t.write('tag', { id: 1, tag: 'a' })
    await t.write('tag', { id: 1, tag: 'b' })
  })
  await settle(...dbs)
  return dbs
}

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  describe(`read-your-writes on ${storage}`, () => {
    it('every read sees the transaction’s own writes and deletes, none of it visible outside before commit', async () => {
      const [db] = (await setup(1, storage)) as [Database]
      const seen = await db.transaction(async (t) => {
        await t.write('emp', { id: 9, name: 'new', dept: 'odd' })
        await t.delete('emp', 2)
        await t.write('emp', { id: 3, name: 'renamed', dept: 'even' })
        await t.deleteObject('tag', { id: 1, tag: 'a' })
        await t.write('tag', { id: 2, tag: 'c' })
        const outside = await db.dirtyRead('emp', 9)
        return {
          outside,
          read: await t.read('emp', 9),
          deleted: await t.read('emp', 2),
          keys: await t.allKeys('emp'),
          first: await t.first('emp'),
          last: await t.last('emp'),
          next: await t.next('emp', 1),
          prev: await t.prev('emp', 9),
          odd: await t.indexRead('emp', 'odd', 'dept'),
          even: await t.matchObject('emp', { dept: 'even' }),
          select: await t.select('emp', [[{ id: '$1', name: '$2' }, [['>', '$1', 2]], [['$1', '$2']]]]),
          foldl: await t.foldl((r, acc: unknown[]) => [...acc, r['id']], [], 'emp'),
          foldr: await t.foldr((r, acc: unknown[]) => [...acc, r['id']], [], 'emp'),
          tags: await t.read('tag', 1),
          tags2: await t.matchObject('tag', { tag: '_' }),
        }
      })
      expect(seen.outside).toEqual([])
      expect(seen.read).toEqual([{ id: 9, name: 'new', dept: 'odd' }])
      expect(seen.deleted).toEqual([])
      expect(seen.keys).toEqual([1, 3, 4, 5, 9])
      expect([seen.first, seen.last, seen.next, seen.prev]).toEqual([1, 9, 3, 5])
      expect(seen.odd.map((r) => r['id'])).toEqual([1, 5, 9])
      expect(seen.even.map((r) => r['id'])).toEqual([3, 4])
      expect(seen.select).toEqual([[3, 'renamed'], [4, 'e4'], [5, 'e5'], [9, 'new']])
      expect(seen.foldl).toEqual([1, 3, 4, 5, 9])
      expect(seen.foldr).toEqual([9, 5, 4, 3, 1])
      expect(seen.tags).toEqual([{ id: 1, tag: 'b' }])
      expect(seen.tags2).toEqual([{ id: 1, tag: 'b' }, { id: 2, tag: 'c' }])
      // Committed: now visible outside.
      expect(await db.dirtyAllKeys('emp')).toEqual([1, 3, 4, 5, 9])
    })

    it('a chunked select returns every result once, in chunks of at most n, and sees own writes', async () => {
      const [db] = (await setup(1, storage)) as [Database]
      const chunks = await db.transaction(async (t) => {
        await t.write('emp', { id: 0, name: 'zero', dept: 'even' })
        const out: unknown[][] = []
        let c = await t.select('emp', [[{ id: '$1' }, [], ['$1']]], 2)
        while (c) {
          out.push(c.results)
          c = await t.selectContinue(c.cont)
        }
        return out
      })
      expect(chunks).toEqual([[0, 1], [2, 3], [4, 5]])
    })
  })
}

describe('aborts', () => {
  it('the reason is exactly what was thrown or passed to abort; nothing is visible, no events', async () => {
    const [db, other] = (await setup(2)) as [Database, Database]
    const events: unknown[] = []
    other.subscribe({ table: 'emp' }, (e) => events.push(e))
    db.subscribe({ table: 'emp' }, (e) => events.push(e))
    const reason = { why: 'because' }
    for (const run of [
      (): Promise<unknown> => db.transaction(async (t) => {
        await t.write('emp', { id: 7, name: 'x' })
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- any value may be thrown: it is the reason
        throw reason
      }),
      (): Promise<unknown> => db.transaction(async (t) => {
        await t.write('emp', { id: 7, name: 'x' })
        t.abort(reason)
      }),
    ]) {
      const err = await run().catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TransactionAbortedError)
      expect((err as TransactionAbortedError).reason).toBe(reason)
      expect((err as TransactionAbortedError).code).toBe('aborted')
    }
    const err = await db.transaction((t) => t.read('nope', 1)).catch((e: unknown) => e)
    expect((err as TransactionAbortedError).reason).toBeInstanceOf(NoSuchTableError)
    // abort caught by the function still aborts
    const caught = await db
      .transaction(async (t) => {
        try {
          t.abort('stop')
        } catch {
          // ignored by the application
        }
        await t.write('emp', { id: 8, name: 'y' })
      })
      .catch((e: unknown) => e)
    expect((caught as TransactionAbortedError).reason).toBe('stop')
    await settle(db, other)
    expect(await other.dirtyRead('emp', 7)).toEqual([])
    expect(await db.dirtyRead('emp', 8)).toEqual([])
    expect(events).toEqual([])
  })

  it('a handle used after its transaction finished throws', async () => {
    const [db] = (await setup()) as [Database]
    let leaked: Parameters<Parameters<Database['transaction']>[0]>[0] | undefined
    await db.transaction((t) => {
      leaked = t
    })
    await expect(leaked?.read('emp', 1)).rejects.toBeInstanceOf(WebnesiaError)
  })

  it('retries exhausted: reason is conflict; with retries the function runs again and succeeds', async () => {
    const [db, other] = (await setup(2)) as [Database, Database]
    let runs = 0
    const interfere = async (): Promise<void> => {
      await other.dirtyWrite('emp', { id: 1, name: `moved${String(runs)}` })
      await tick()
    }
    const err = await db
      .transaction(
        async (t) => {
          runs++
          const [e] = await t.read('emp', 1)
          await interfere()
          await t.write('emp', { id: 1, name: `${String(e?.['name'])}!` })
        },
        { retries: 0 },
      )
      .catch((e: unknown) => e)
    expect(runs).toBe(1)
    expect((err as TransactionAbortedError).reason).toBe('conflict')
    runs = 0
    await db.transaction(async (t) => {
      runs++
      const [e] = await t.read('emp', 1)
      if (runs === 1) await interfere()
      await t.write('emp', { id: 1, name: `${String(e?.['name'])}!` })
    })
    expect(runs).toBe(2)
    expect(await db.dirtyRead('emp', 1)).toEqual([{ id: 1, name: 'moved1!' }])
  })
})

describe('nested transactions', () => {
  it('a committed child’s writes become the parent’s; an aborted child is rolled back alone', async () => {
    const [db] = (await setup()) as [Database]
    const result = await db.transaction(async (t) => {
      await t.write('emp', { id: 10, name: 'parent' })
      const child = await t.transaction(async (c) => {
        expect(await c.read('emp', 10)).toEqual([{ id: 10, name: 'parent' }])
        await c.write('emp', { id: 11, name: 'child' })
        return 'ok'
      })
      const failed = await t
        .transaction(async (c) => {
          await c.write('emp', { id: 12, name: 'doomed' })
          c.abort('no')
        })
        .catch((e: unknown) => e)
      expect(failed).toBeInstanceOf(TransactionAbortedError)
      expect((failed as TransactionAbortedError).reason).toBe('no')
      expect(await db.dirtyRead('emp', 11)).toEqual([]) // not committed before the top level
      return { child, after: await t.allKeys('emp') }
    })
    expect(result).toEqual({ child: 'ok', after: [1, 2, 3, 4, 5, 10, 11] })
    expect(await db.dirtyAllKeys('emp')).toEqual([1, 2, 3, 4, 5, 10, 11])
  })

  it('a nested activity of another kind keeps transaction semantics', async () => {
    const [db] = (await setup()) as [Database]
    await db
      .transaction(async (t) => {
        await t.activity('async_dirty', (d) => d.write('emp', { id: 20, name: 'inner' }))
        expect(await db.dirtyRead('emp', 20)).toEqual([])
        throw new Error('undo')
      })
      .catch(() => undefined)
    expect(await db.dirtyRead('emp', 20)).toEqual([])
  })
})

describe('isolation across handles (tabs)', () => {
  it('concurrent read-increment-write transactions lose no update', async () => {
    const [a, b] = (await setup(2)) as [Database, Database]
    await a.dirtyWrite('emp', { id: 1, name: 0 })
    await settle(a, b)
    const inc = (db: Database): Promise<void> =>
      db.transaction(async (t) => {
        const [r] = await t.read('emp', 1)
        await t.write('emp', { id: 1, name: (r?.['name'] as number) + 1 })
      })
    await Promise.all(Array.from({ length: 30 }, (_, i) => inc(i % 2 ? a : b)))
    await settle(a, b)
    expect(await a.dirtyRead('emp', 1)).toEqual([{ id: 1, name: 30 }])
  })

  it('write skew is prevented: two doctors on call never both leave', async () => {
    const [a, b] = (await setup(2)) as [Database, Database]
    await a.createTable('doctor', { attributes: ['name', 'onCall'] })
    await a.transaction(async (t) => {
      await t.write('doctor', { name: 'alice', onCall: true })
      await t.write('doctor', { name: 'bob', onCall: true })
    })
    await settle(a, b)
    const leave = (db: Database, me: string): Promise<boolean> =>
      db.transaction(async (t) => {
        const on = (await t.matchObject('doctor', { onCall: true })).length
        if (on < 2) return false
        await tick() // let the other transaction read too
        await t.write('doctor', { name: me, onCall: false })
        return true
      })
    const left = await Promise.all([leave(a, 'alice'), leave(b, 'bob')])
    expect(left.filter(Boolean)).toHaveLength(1)
    await settle(a, b)
    expect(await a.dirtyMatchObject('doctor', { onCall: true })).toHaveLength(1)
  })

  it('a table read lock catches phantoms: an insert by another tab makes the reader run again', async () => {
    const [a, b] = (await setup(2)) as [Database, Database]
    let runs = 0
    const count = await a.transaction(async (t) => {
      runs++
      await t.readLockTable('emp')
      const n = (await t.select('emp', [[{ id: '$1' }, [['>', '$1', 100]], ['$1']]])).length
      if (runs === 1) {
        await b.dirtyWrite('emp', { id: 101, name: 'phantom' })
        await tick()
      }
      await t.write('emp', { id: 0, name: `count ${String(n)}` })
      return n
    })
    expect(runs).toBe(2)
    expect(count).toBe(1)
  })

  it('group commit: many transactions started in one tick all commit', async () => {
    const [db] = (await setup()) as [Database]
    const ids = Array.from({ length: 50 }, (_, i) => 1000 + i)
    await Promise.all(ids.map((id) => db.transaction((t) => t.write('emp', { id, name: 'g' }))))
    expect((await db.dirtyMatchObject('emp', { name: 'g' })).map((r) => r['id'])).toEqual(ids)
  })
})
