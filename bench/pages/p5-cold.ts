/**
 * P5: cold load of a disc_copies table after a browser restart. `p5Setup` writes the same records
 * into a library node and into a raw IndexedDB store; after each restart `run.mjs` calls one of
 * `p5LoadLib` (time of `openDatabase`, which loads every disc_copies table into memory) or
 * `p5LoadRaw` (time of opening the raw database and `getAll` of its store).
 */
import { openDatabase } from '../../src/index.js'
import { check, items, libWithItems, now, profileEnd, profileStart, rawOpen, rawWithItems, request } from './common.js'

export async function p5Setup(p: { lib: string; raw: string; records: number }): Promise<Record<string, number>> {
  const recs = items(p.records)
  const t0 = now()
  const db = await libWithItems(p.lib, recs)
  const libFill = now() - t0
  await db.close()
  const raw = await rawWithItems(p.raw, recs)
  raw.close()
  return { libFillMs: libFill }
}

export async function p5LoadLib(p: { lib: string; records: number }): Promise<number> {
  profileStart('P5 lib.openDatabase')
  const t0 = now()
  const db = await openDatabase({ name: p.lib })
  const ms = now() - t0
  profileEnd('P5 lib.openDatabase')
  check(db.tableInfo('items', 'size') === p.records, `library loaded ${String(p.records)} records`)
  await db.close()
  return ms
}

export async function p5LoadRaw(p: { raw: string; records: number }): Promise<number> {
  const t0 = now()
  const db = await rawOpen(p.raw)
  const rows = await request(db.transaction('items', 'readonly').objectStore('items').getAll())
  const ms = now() - t0
  check(rows.length === p.records, `raw getAll read ${String(p.records)} records`)
  db.close()
  return ms
}
