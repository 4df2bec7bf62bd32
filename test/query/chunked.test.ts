/**
 * A chunked select holds O(n) records per chunk on every storage type: the table copy is read
 * lazily, a few chunks ahead of what the caller consumed at most.
 */
import { afterEach, expect, it } from 'vitest'
import type { Database } from '../../src/index.js'
import type { TableReader } from '../../src/storage/reader.js'
import { fresh } from '../node/helpers.js'

let db: Database
afterEach(async () => {
  await db.close()
})

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  for (const inTxn of [false, true]) {
    it(`${storage}${inTxn ? ' in a transaction' : ''}: 5,000 records in chunks of 100, never more than 3 chunks read ahead`, async () => {
      db = (await fresh())[0] as Database
      await db.createTable('big', { attributes: ['id', 'v'], type: 'ordered_set', storage })
      await db.transaction(async (t) => {
        for (let id = 0; id < 5000; id++) await t.write('big', { id, v: id % 7 })
      })
      // Count what the table copy hands out, against what the caller has consumed.
      const rt = (db as unknown as { local: { catalog: { get(t: string): { reader: TableReader } } } }).local.catalog.get('big')
      const reader = rt.reader
      const scan = reader.scan.bind(reader)
      let produced = 0
      let consumed = 0
      let maxAhead = 0
      reader.scan = async function* (...args: Parameters<TableReader['scan']>) {
        for await (const recs of scan(...args)) {
          produced += recs.length
          maxAhead = Math.max(maxAhead, produced - consumed)
          yield recs
        }
      }
      const spec = [[{ id: '$1', v: '$2' }, [['==', '$2', 3]], ['$1']]]
      const all: number[] = []
      const drain = async (first: () => Promise<{ results: number[]; cont: unknown } | null>, next: (c: never) => Promise<{ results: number[]; cont: unknown } | null>): Promise<void> => {
        let c = await first()
        while (c) {
          expect(c.results.length).toBeLessThanOrEqual(100)
          all.push(...c.results)
          consumed = Math.max(consumed, (all[all.length - 1] ?? 0) + 1)
          c = await next(c.cont as never)
        }
      }
      if (inTxn) {
        await db.transaction(async (t) => {
          await drain(
            () => t.select<number>('big', spec, 100),
            (c) => t.selectContinue<number>(c),
          )
        })
      } else {
        await drain(
          () => db.dirtySelect<number>('big', spec, 100),
          (c) => db.selectContinue<number>(c),
        )
      }
      expect(all).toEqual(Array.from({ length: 5000 }, (_, i) => i).filter((i) => i % 7 === 3))
      // 100 results need ~700 records scanned; allow three chunks' worth of records ahead.
      expect(maxAhead).toBeLessThanOrEqual(3 * 700)
      expect(produced).toBe(5000)
    })
  }
}
