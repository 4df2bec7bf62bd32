/**
 * Memory: JS heap bytes per record of a loaded disc_copies table. `run.mjs` measures the heap
 * (CDP HeapProfiler.collectGarbage + Runtime.getHeapUsage) of a freshly loaded page before and
 * after `memLoadLib` (which opens the node and keeps it open: the table is then in memory), and
 * before and after `memLoadMap` (the same records as plain objects in a Map), and divides by the
 * record count. `memJson` gives the records' JSON size.
 */
import { openDatabase, type Database } from '../../src/index.js'
import { check, items, libWithItems, type Item } from './common.js'

const held: { db?: Database; map?: Map<number, Item> } = {}

export async function memSetup(p: { name: string; records: number }): Promise<void> {
  const db = await libWithItems(p.name, items(p.records))
  await db.close()
}

export async function memLoadLib(p: { name: string; records: number }): Promise<void> {
  held.db = await openDatabase({ name: p.name })
  check(held.db.tableInfo('items', 'size') === p.records, 'every record loaded')
}

export function memLoadMap(p: { records: number }): void {
  const map = new Map<number, Item>()
  for (const r of items(p.records)) map.set(r.id, r)
  held.map = map
}

export function memJson(p: { records: number }): number {
  return new TextEncoder().encode(JSON.stringify(items(p.records))).length / p.records
}

export async function memRelease(): Promise<void> {
  const db = held.db
  delete held.db
  delete held.map
  if (db) await db.close()
}
