/**
 * SCALE: how each cost grows with the table. For one case (a storage type and a record size) and
 * one size n: fill a table of n records (items with an index on `grp`, 10 records per group),
 * then, on a fresh open of it, measure the cold load, a point read, an indexed select and one
 * 1-record commit. run.mjs adds the heap per record (CDP) and a peer's copy (the REPL page), and
 * fits each figure's growth exponent over the sizes (time ∝ n^k).
 */
import { openDatabase, type Database } from '../../src/index.js'
import { check, fillLib, ITEM_ATTRS, item, now, randomKeys, uniqueName, type Item } from './common.js'

/** One case of the scaling table. */
export interface ScaleCase {
  n: number
  storage: 'disc_copies' | 'disc_only_copies'
  /** Pads every record to about this many bytes (its `name`); 0: the plain ~150-byte item. */
  bytes: number
}

function record(i: number, c: ScaleCase): Item {
  const r = item(i, Math.max(1, Math.floor(c.n / 10)))
  if (c.bytes > 0) r.name = r.name.padEnd(c.bytes, '.')
  return r
}

/** Creates and fills the case's table; returns the node's name. */
export async function scaleSetup(c: ScaleCase): Promise<{ name: string; fillMs: number }> {
  const name = uniqueName('scale')
  const db = await openDatabase({ name })
  await db.createTable('items', { attributes: [...ITEM_ATTRS], storage: c.storage, index: ['grp'] })
  const t0 = now()
  const chunk = c.bytes > 1_000 ? 1_000 : 10_000
  for (let i = 0; i < c.n; i += chunk) {
    const part: Item[] = []
    for (let j = i; j < Math.min(c.n, i + chunk); j++) part.push(record(j, c))
    await fillLib(db, 'items', part, chunk)
  }
  const fillMs = now() - t0
  await db.dumpLog()
  await db.close()
  return { name, fillMs }
}

let held: Database | null = null

/** Opens the case's node in this (fresh) page: the cold load, until the table is readable. */
export async function scaleLoad(p: { name: string; n: number }): Promise<{ coldMs: number }> {
  const t0 = now()
  const db = await openDatabase({ name: p.name })
  await db.waitForTables(['items'], 600_000)
  const coldMs = now() - t0
  check(db.tableInfo('items', 'size') === p.n, 'every record is there')
  held = db
  return { coldMs }
}

/** Point reads, indexed selects and commits on the loaded node; closes it. */
export async function scaleOps(c: ScaleCase & { reads: number; selects: number; commits: number }): Promise<Record<string, number>> {
  const db = held
  check(db !== null, 'scaleLoad ran first')
  const out: Record<string, number> = {}
  const keys = randomKeys(c.reads, c.n, 7)
  let found = 0
  let t0 = now()
  for (const k of keys) found += (await db.dirtyRead('items', k)).length
  out['pointRead.us'] = ((now() - t0) * 1000) / keys.length
  check(found === keys.length, 'every point read found its record')
  const groups = Math.max(1, Math.floor(c.n / 10))
  const gs = randomKeys(c.selects, groups, 8)
  found = 0
  t0 = now()
  for (const g of gs) found += (await db.dirtyIndexRead('items', g, 'grp')).length
  out['indexedSelect.us'] = ((now() - t0) * 1000) / gs.length
  check(found >= gs.length, 'every indexed select found its group')
  t0 = now()
  for (let i = 0; i < c.commits; i++) {
    const r = record(i % c.n, c)
    await db.transaction((t) => t.write('items', { ...r, age: r.age + 1 }))
  }
  out['commit.ms'] = (now() - t0) / c.commits
  await db.close()
  held = null
  return out
}

/** Deletes a case's node. */
export async function scaleDrop(p: { name: string }): Promise<void> {
  await new Promise<void>((resolve) => {
    const q = indexedDB.deleteDatabase(`webnesia:${p.name}`)
    q.onsuccess = q.onerror = q.onblocked = () => resolve()
  })
}
