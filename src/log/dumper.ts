/**
 * The log dumper (Mnesia's mnesia_dumper): brings the object stores of disc_copies tables up to
 * the commit log.
 *
 * A disc_copies table is read from memory; its object store is only read when a tab loads the
 * node. So a commit does not write it: the commit is durable once its log record is (one
 * IndexedDB request for the whole group instead of one per record), and the store catches up
 * here later, many commits at a time (Mnesia does the same with its transaction log and the
 * table files it dumps it to). disc_only_copies stores, which every read goes to, are still
 * written by the commit itself.
 *
 * `meta.dumped` is the LSN up to which every disc_copies store reflects the log. The log keeps
 * every entry after it (truncation never cuts past it), so the stores plus the entries after
 * `dumped` are always the whole disc state of the node. A dump applies those entries to the
 * stores and moves `dumped`, in one transaction: a dump cut short by a crash did nothing.
 *
 * No schema entry is ever after `dumped`: a schema change dumps first and moves `dumped` past its
 * own entry (it writes the stores it changes itself), so the current schema applies to every
 * entry a dump reads.
 *
 * Dumps run inside a tab's loading transaction, inside every schema change, in housekeeping, when
 * a tab's own undumped writes pass {@link DUMP_THRESHOLD}, when a tab closes, and on
 * `db.dumpLog()`.
 *
 * @module
 */
import type { IDBPTransaction } from 'idb'
import { WebnesiaError } from '../errors.js'
import { storeName, type TableDef } from '../schema/table-def.js'
import { writeChange } from '../storage/idb-table.js'
import { fire, LOG, META, SCHEMA } from './connection.js'
import { readLog, type LogEntry } from './entry.js'

/** The `meta` key of the LSN up to which the disc_copies stores reflect the log. */
export const DUMPED = 'dumped'

/**
 * A tab dumps once its own commits wrote this many disc_copies keys since the last dump (Mnesia's
 * `dump_log_write_threshold` is 1000 writes); housekeeping dumps the rest every few seconds.
 */
export const DUMP_THRESHOLD = 1000

type AnyTx = IDBPTransaction<unknown, string[], 'readwrite' | 'versionchange'>

/** The writes of an entry that a dump will make: puts and clears of disc_copies tables. */
export function discWrites(entry: LogEntry, isDiscCopies: (table: string) => boolean): number {
  let n = 0
  for (const op of entry.ops) if (op.k !== 'schema' && isDiscCopies(op.t)) n++
  return n
}

/** The LSN up to which the disc_copies stores reflect the log (read inside `tx`). */
export async function dumpedLsn(tx: AnyTx): Promise<number> {
  return ((await tx.objectStore(META).get(DUMPED)) as number | undefined) ?? 0
}

/**
 * Applies every log entry after `meta.dumped` to the disc_copies stores and moves `dumped` to
 * the last one, inside `tx` (readwrite over `meta`, `schema`, `log` and every disc_copies store).
 * Returns the new `dumped` LSN.
 */
export async function dumpLog(tx: AnyTx): Promise<number> {
  const dumped = await dumpedLsn(tx)
  const entries = await readLog(tx.objectStore(LOG), dumped)
  const last = entries[entries.length - 1]
  if (!last) return dumped
  if ((entries[0] as LogEntry).lsn !== dumped + 1) {
    throw new WebnesiaError('storage', `the log starts at ${String((entries[0] as LogEntry).lsn)}, after the dump at ${String(dumped)}`)
  }
  const defs = new Map<string, TableDef>()
  for (const def of (await tx.objectStore(SCHEMA).getAll()) as TableDef[]) if (def.storage === 'disc_copies') defs.set(def.name, def)
  for (const entry of entries) {
    for (const op of entry.ops) {
      if (op.k === 'schema') throw new WebnesiaError('storage', `schema entry ${String(entry.lsn)} after the dump at ${String(dumped)}`)
      const def = defs.get(op.t)
      if (!def) continue
      const store = tx.objectStore(storeName(def))
      if (op.k === 'clear') fire(store.clear())
      else writeChange(store, def, op)
    }
  }
  fire(tx.objectStore(META).put(last.lsn, DUMPED))
  return last.lsn
}
