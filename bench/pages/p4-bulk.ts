/**
 * P4: 10k records written in one transaction: the library (one db.transaction doing 10k
 * t.write), Dexie's bulkPut, native IndexedDB puts in one strict transaction, RxDB bulkUpsert.
 * Every figure is milliseconds for the whole batch, into an empty table of a fresh database.
 * The contenders run in an order rotated by repetition.
 */
import { openDatabase } from '../../src/index.js'
import { check, done, dropLib, dropRaw, ITEM_ATTRS, items, now, profileEnd, profileStart, rawCount, rawWithItems, rotated, uniqueName } from './common.js'
import { dexieWithItems, dropDexie, dropRxdb, rxdbWithItems, rxItem } from './competitors.js'

export async function p4(p: { records: number; rxdb: boolean; rep: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  const recs = items(p.records)

  const lib = async (): Promise<void> => {
    const db = await openDatabase({ name: uniqueName('p4') })
    await db.createTable('items', { attributes: [...ITEM_ATTRS], storage: 'disc_copies' })
    profileStart('P4 lib.txn')
    const t0 = now()
    await db.transaction(async (t) => {
      for (const r of recs) await t.write('items', r)
    })
    out['lib.txn'] = now() - t0
    profileEnd('P4 lib.txn')
    await db.dumpLog() // the records into the table's store (in the background, as an application runs)
    out['lib.txnWithDump'] = now() - t0
    check(db.tableInfo('items', 'size') === p.records, 'library wrote every record')
    await dropLib(db)
  }

  const dexie = async (): Promise<void> => {
    const dx = await dexieWithItems(uniqueName('p4-dexie'))
    const t0 = now()
    await dx.table.bulkPut(recs)
    out['dexie.bulkPut'] = now() - t0
    check((await dx.table.count()) === p.records, 'Dexie wrote every record')
    await dropDexie(dx.db)
  }

  const raw = async (): Promise<void> => {
    const db = await rawWithItems(uniqueName('p4-raw'))
    const t0 = now()
    const tx = db.transaction('items', 'readwrite', { durability: 'strict' })
    const store = tx.objectStore('items')
    for (const r of recs) store.put(r)
    await done(tx)
    out['raw.oneTx'] = now() - t0
    check((await rawCount(db)) === p.records, 'raw wrote every record')
    await dropRaw(db)
  }

  const rxdb = async (): Promise<void> => {
    const rx = await rxdbWithItems(uniqueName('p4-rxdb'))
    const docs = recs.map(rxItem)
    const t0 = now()
    const res = await rx.items.bulkUpsert(docs)
    out['rxdb.bulkUpsert'] = now() - t0
    check(res.error.length === 0, 'RxDB wrote every record')
    await dropRxdb(rx.db)
  }

  await rotated(p.rep, p.rxdb ? [lib, dexie, raw, rxdb] : [lib, dexie, raw])
  return out
}
