/**
 * P1: point reads from a disc_copies table. The library reads from memory (dirtyRead, and t.read in
 * one transaction doing many reads); Dexie's `table.get` goes to IndexedDB; `Map.get` is the floor.
 * Figures are microseconds per read.
 */
import { check, dropLib, items, libWithItems, now, profileEnd, profileStart, randomKeys, uniqueName, type Item } from './common.js'
import { dexieWithItems, dropDexie, dropRxdb, rxdbWithItems } from './competitors.js'

export interface P1Params {
  records: number
  libReads: number
  txnReads: number
  dexieReads: number
  mapReads: number
  rxdbReads: number
}

export async function p1(p: P1Params): Promise<Record<string, number>> {
  const recs = items(p.records)
  const out: Record<string, number> = {}

  // The library.
  const db = await libWithItems(uniqueName('p1'), recs)
  const keys = randomKeys(p.libReads, p.records, 1)
  let found = 0
  profileStart('P1 lib.dirtyRead')
  let t0 = now()
  for (const k of keys) found += (await db.dirtyRead('items', k)).length
  out['lib.dirtyRead'] = ((now() - t0) * 1000) / keys.length
  profileEnd('P1 lib.dirtyRead')
  check(found === keys.length, 'dirtyRead found every key')

  found = 0
  profileStart('P1 lib.readSync')
  t0 = now()
  for (const k of keys) found += db.dirtyReadSync('items', k).length
  out['lib.readSync'] = ((now() - t0) * 1000) / keys.length
  profileEnd('P1 lib.readSync')
  check(found === keys.length, 'dirtyReadSync found every key')

  const tkeys = randomKeys(p.txnReads, p.records, 2)
  profileStart('P1 lib.txnRead')
  t0 = now()
  found = await db.transaction(async (t) => {
    let n = 0
    for (const k of tkeys) n += (await t.read('items', k)).length
    return n
  })
  out['lib.txnRead'] = ((now() - t0) * 1000) / tkeys.length
  profileEnd('P1 lib.txnRead')
  check(found === tkeys.length, 't.read found every key')
  await dropLib(db)

  // Dexie: one IndexedDB read transaction per get (that is what table.get does outside a transaction).
  const dx = await dexieWithItems(uniqueName('p1-dexie'), recs)
  const dkeys = randomKeys(p.dexieReads, p.records, 3)
  found = 0
  t0 = now()
  for (const k of dkeys) if (await dx.table.get(k)) found++
  out['dexie.get'] = ((now() - t0) * 1000) / dkeys.length
  check(found === dkeys.length, 'Dexie found every key')
  // Dexie, every get inside one read transaction (informational).
  t0 = now()
  found = await dx.db.transaction('r', dx.table, async () => {
    let n = 0
    for (const k of dkeys) if (await dx.table.get(k)) n++
    return n
  })
  out['dexie.getInTxn'] = ((now() - t0) * 1000) / dkeys.length
  check(found === dkeys.length, 'Dexie (one transaction) found every key')
  await dropDexie(dx.db)

  // Map.get: the same records in a Map, read synchronously, and read through `await`.
  const map = new Map<number, Item>()
  for (const r of recs) map.set(r.id, r)
  const mkeys = randomKeys(p.mapReads, p.records, 4)
  let sum = 0
  t0 = now()
  for (const k of mkeys) sum += (map.get(k) as Item).age
  out['map.get'] = ((now() - t0) * 1000) / mkeys.length
  check(sum > 0, 'Map found the keys')
  sum = 0
  t0 = now()
  for (const k of mkeys) sum += (await Promise.resolve(map.get(k) as Item)).age
  out['map.awaitGet'] = ((now() - t0) * 1000) / mkeys.length
  check(sum > 0, 'Map (await) found the keys')

  // RxDB (free Dexie storage): findOne(id).exec() (informational).
  if (p.rxdbReads > 0) {
    const rx = await rxdbWithItems(uniqueName('p1-rxdb'), recs)
    const rkeys = randomKeys(p.rxdbReads, p.records, 5).map((k) => String(k).padStart(8, '0'))
    found = 0
    t0 = now()
    for (const k of rkeys) if (await rx.items.findOne(k).exec()) found++
    out['rxdb.findOne'] = ((now() - t0) * 1000) / rkeys.length
    check(found === rkeys.length, 'RxDB found every key')
    await dropRxdb(rx.db)
  }
  return out
}
