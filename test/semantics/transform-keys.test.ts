/**
 * transformTable keeps keys, as Mnesia does. OTP 25, ram_copies table r [k, v] with index v and
 * records {r,1,a}, {r,2,b}:
 *
 *     mnesia:transform_table(r, fun({r, K, V}) -> {r, K + 10, V} end, [k, v])
 *     → {aborted, {"Bad transform function", r, #Fun, nonode@nohost,
 *                  {"Bad key or Record Name", {r,2,b}, {r,12,b}}}}
 *     ets:tab2list(r) → [{r,1,a},{r,2,b}]        dirty_index_read(r, a, v) → [{r,1,a}]
 *
 * and the same when the function changes one key only.
 */
import { afterEach, expect, it } from 'vitest'
import { BadRecordError, openDatabase, type Database } from '../../src/index.js'
import { fresh, settle } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  for (const type of ['set', 'ordered_set', 'bag'] as const) {
    it(`a function that changes a key is refused before anything is written (${type}, ${storage})`, async () => {
      const [db, other] = (dbs = await fresh(2)) as [Database, Database]
      await db.createTable('r', { attributes: ['k', 'v'], type, storage, index: ['v'] })
      for (const [k, v] of [[1, 'a'], [2, 'b'], [3, 'a']] as const) await db.dirtyWrite('r', { k, v })
      const before = await db.dirtySelect('r', [['_', [], ['$_']]])
      const events: unknown[] = []
      const offT = db.subscribe({ table: 'r' }, (ev) => events.push(ev))
      const offS = db.subscribe('system', (ev) => events.push(ev))
      const attempts: ((r: Record<string, unknown>) => Record<string, unknown> | undefined)[] = [
        (r) => ({ ...r, k: (r['k'] as number) + 10 }), // every key
        (r) => (r['k'] === 2 ? { k: 'two', v: r['v'] } : { ...r, v: 'changed' }), // one key, after others changed
        (r) => (r['k'] === 3 ? { k: [3], v: r['v'] } : undefined), // a key of another type, others deleted
      ]
      for (const fn of attempts) {
        const e = await db.transformTable('r', fn).then(
          () => undefined,
          (x: unknown) => x,
        )
        expect(e).toBeInstanceOf(BadRecordError)
        expect((e as BadRecordError).code).toBe('bad_type')
      }
      // with new attributes too
      const e = await db.transformTable('r', (r) => ({ k: 100, v: r['v'], w: 1 }), ['k', 'v', 'w']).then(
        () => undefined,
        (x: unknown) => x,
      )
      expect(e).toBeInstanceOf(BadRecordError)
      offT()
      offS()
      expect(events).toEqual([])
      expect(db.tableInfo('r', 'attributes')).toEqual(['k', 'v'])
      expect(db.tableInfo('r', 'index')).toEqual(['v'])
      expect(await db.dirtySelect('r', [['_', [], ['$_']]])).toEqual(before)
      expect((await db.dirtyIndexRead('r', 'a', 'v')).map((r) => r['k'])).toEqual([1, 3])
      await settle(other)
      expect(await other.dirtySelect('r', [['_', [], ['$_']]])).toEqual(before)
      if (storage !== 'ram_copies') {
        // and on disc: a tab that loads the node from IndexedDB now
        const late = await openDatabase({ name: db.name })
        dbs.push(late)
        expect(await late.dirtySelect('r', [['_', [], ['$_']]])).toEqual(before)
        expect((await late.dirtyIndexRead('r', 'a', 'v')).map((r) => r['k'])).toEqual([1, 3])
      }
      // a transform that keeps keys still works
      await db.transformTable('r', (r) => ({ ...r, v: `${String(r['v'])}!` }))
      expect((await db.dirtyIndexRead('r', 'a!', 'v')).map((r) => r['k'])).toEqual([1, 3])
    })
  }
}
