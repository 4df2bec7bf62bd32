/**
 * Synchronous reads of a memory copy: Mnesia's ets-style read (`mnesia:ets(fun() ->
 * mnesia:read(...) end)`, or `ets:lookup` on the table itself) of a table this tab holds in
 * memory (`ram_copies`, `disc_copies`). No promise, no transaction: the records as this tab sees
 * them now (its latest applied commit), as `dirtyRead` would return them.
 *
 * This is the hot path of `db.dirtyReadSync` and of `db.dirtyRead` on memory tables: it checks
 * only what it must (a closed database, the table, the key), and allocates only the result.
 *
 * @module
 */
import { NoSuchTableError, WebnesiaError, safeString } from '../errors.js'
import type { LocalNode } from '../node.js'
import { exportPlainRecords, exportRecords, type Rec } from '../storage/record.js'
import { checkKey, type Key } from '../storage/term.js'

/**
 * The records of `key` in the memory copy of `tab`, as the application gets them (a fresh list;
 * records with mutable leaves cloned, record.ts `exportRecord`).
 *
 * @throws DatabaseClosedError once closed; NoSuchTableError for an unknown table; BadKeyError for
 *   a key that is not a key; WebnesiaError `bad_type` for a `disc_only_copies` table (it has no
 *   memory copy: read it with `dirtyRead`)
 */
export function readNow(node: LocalNode, tab: string, key: Key): Rec[] {
  node.check()
  const rt = typeof tab === 'string' ? node.catalog.tables.get(tab) : undefined
  if (rt === undefined) throw new NoSuchTableError(typeof tab === 'string' ? tab : safeString(tab))
  const mem = rt.mem
  if (mem === null) {
    throw new WebnesiaError('bad_type', `${tab} is a disc_only_copies table: it has no memory copy to read synchronously (use dirtyRead)`)
  }
  if (typeof key === 'number' ? Number.isNaN(key) : typeof key !== 'string') checkKey(key)
  const recs = mem.readSync(key)
  return mem.mutableLeaves ? exportRecords(recs) : exportPlainRecords(recs)
}

/** True when `tab` has a memory copy in this tab (its reads can be served by {@link readNow}). */
export function inMemory(node: LocalNode, tab: string): boolean {
  return (typeof tab === 'string' ? node.catalog.tables.get(tab)?.mem : undefined) != null
}
