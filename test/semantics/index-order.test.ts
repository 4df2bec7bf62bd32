/**
 * Index reads return records in the table's key order, also merged with a transaction's writes.
 *
 * OTP 25, ordered_set o [k, v, w] with index v, keys written in the order 50 3 99 7 1 20 64 12 8
 * 33 2 77, all with v = x:
 *
 *     dirty_index_read(o, x, v)                → keys [1,2,3,7,8,12,20,33,50,64,77,99]
 *     dirty_index_match_object({o,'_',x,'_'}, v) → keys [99,77,64,50,33,20,12,8,7,3,2,1]
 *     in a transaction that wrote 5, 100, 0 and deleted 7:
 *       index_read         → [0,1,2,3,5,8,12,20,33,50,64,77,99,100]
 *       index_match_object → [0,5,99,77,64,50,33,20,12,8,7,3,2,1,100]   (7 is back!)
 *
 * Mnesia is not consistent here (index_match_object comes back reversed, and merged with the
 * transaction's writes it even returns the deleted 7): webnesia keeps the consistent answer,
 * index_read's key order, for both, inside and outside transactions.
 */
import { afterEach, expect, it } from 'vitest'
import type { Database } from '../../src/index.js'
import { fresh } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

const WRITTEN = [50, 3, 99, 7, 1, 20, 64, 12, 8, 33, 2, 77]
const sorted = (ks: number[]): number[] => [...ks].sort((a, b) => a - b)
const keys = (rs: Record<string, unknown>[]): unknown[] => rs.map((r) => r['k'])

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  for (const type of ['ordered_set', 'set', 'bag'] as const) {
    it(`indexRead / indexMatchObject in key order, dirty and merged in a transaction (${type}, ${storage})`, async () => {
      const [db] = (dbs = await fresh()) as [Database]
      await db.createTable('o', { attributes: ['k', 'v', 'w'], type, storage, index: ['v'] })
      for (const k of WRITTEN) await db.dirtyWrite('o', { k, v: 'x', w: k })
      await db.dirtyWrite('o', { k: 4, v: 'y', w: 4 })
      expect(keys(await db.dirtyIndexRead('o', 'x', 'v'))).toEqual(sorted(WRITTEN))
      expect(keys(await db.dirtyIndexMatchObject('o', { v: 'x' }, 'v'))).toEqual(sorted(WRITTEN))
      const inTx = await db.transaction(async (t) => {
        await t.write('o', { k: 5, v: 'x', w: 5 })
        await t.write('o', { k: 100, v: 'x', w: 100 })
        await t.write('o', { k: 0, v: 'x', w: 0 })
        await t.delete('o', 7)
        await t.write('o', { k: 4, v: 'x', w: 4 }) // moved into the value
        await t.write('o', { k: 12, v: 'y', w: 12 }) // moved out of it (a bag keeps both)
        return { read: keys(await t.indexRead('o', 'x', 'v')), match: keys(await t.indexMatchObject('o', { v: 'x' }, 'v')) }
      })
      const want = sorted([...WRITTEN.filter((k) => k !== 7 && (type === 'bag' || k !== 12)), 5, 100, 0, 4])
      expect(inTx.read).toEqual(want)
      expect(inTx.match).toEqual(want)
      expect(keys(await db.dirtyIndexRead('o', 'x', 'v'))).toEqual(want)
    })
  }
}
