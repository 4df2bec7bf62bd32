/**
 * CHUNK: peak JS heap while a chunked select walks a large disc_only_copies table, n = 100 per
 * chunk. `run.mjs` measures the heap (after GC) before the walk and between steps of it; the
 * page keeps only the current continuation. For scale it also measures the heap held by the
 * whole result set materialised at once.
 */
import { openDatabase, type Database, type SelectChunk } from '../../src/index.js'
import { fillLib, items } from './common.js'

const held: { db?: Database; cont?: SelectChunk['cont'] | null; all?: unknown[]; seen: number } = { seen: 0 }
const SPEC = [[{ id: '$1', name: '$2' }, [], [['$1', '$2']]]]

export async function chunkSetup(p: { name: string; records: number }): Promise<void> {
  const db = await openDatabase({ name: p.name })
  await db.createTable('items', { attributes: ['id', 'name', 'email', 'age', 'score', 'tags', 'grp'], type: 'ordered_set', storage: 'disc_only_copies' })
  await fillLib(db, 'items', items(p.records))
  await db.close()
}

export async function chunkOpen(p: { name: string }): Promise<void> {
  held.db = await openDatabase({ name: p.name })
  held.seen = 0
  held.cont = undefined
}

/** Advances `steps` chunks of 100 (the first call starts the select). Returns results seen so far. */
export async function chunkStep(p: { steps: number }): Promise<{ seen: number; done: boolean }> {
  const db = held.db as Database
  for (let i = 0; i < p.steps; i++) {
    const c: SelectChunk | null = held.cont === undefined ? await db.dirtySelect('items', SPEC, 100) : held.cont === null ? null : await db.selectContinue(held.cont)
    if (!c) {
      held.cont = null
      return { seen: held.seen, done: true }
    }
    held.seen += c.results.length
    held.cont = c.cont
  }
  return { seen: held.seen, done: false }
}

/** Materialises every result at once (for scale). */
export async function chunkAll(): Promise<number> {
  held.all = await (held.db as Database).dirtySelect('items', SPEC)
  return held.all.length
}

export async function chunkRelease(): Promise<void> {
  const db = held.db
  delete held.db
  delete held.cont
  delete held.all
  if (db) await db.close()
}
