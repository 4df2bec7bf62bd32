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
 * A disc_copies store is an image (storage/disc-image.ts): snapshot chunks plus one delta row per
 * key the dumper wrote since; a background dump rewrites a table's snapshot from the tab's memory
 * instead of writing its deltas once they pass a fraction of the table ({@link DumpPlan.compact}).
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
 * Dumps run inside a tab's loading transaction and inside every schema change ({@link dumpLog}:
 * the entries read from the log, in one transaction). In the background — in housekeeping, when a
 * tab's own undumped writes pass {@link DUMP_THRESHOLD}, when a tab closes, and on
 * `db.dumpLog()` — a tab dumps the entries it applied since its load, the last schema change or
 * the last dump it knows of (it applies every entry of the node, so it holds them all), in a
 * transaction over `meta` and the stores written ({@link applyDump}): it never touches the log, so
 * commits go on meanwhile.
 *
 * @module
 */
import type { BackendTx } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { WebnesiaError } from '../errors.js'
import { storeName, type TableDef } from '../schema/table-def.js'
import { writeDelta, writeSnapshot } from '../storage/disc-image.js'
import type { Rec } from '../storage/record.js'
import { LOG, META, SCHEMA } from './connection.js'
import { readLog, type LogEntry } from './entry.js'

/** The `meta` key of the LSN up to which the disc_copies stores reflect the log. */
export const DUMPED = 'dumped'

/**
 * A tab dumps once its own commits wrote this many disc_copies keys since the last dump (Mnesia's
 * `dump_log_write_threshold` is 1000 writes); housekeeping dumps the rest every few seconds.
 */
export const DUMP_THRESHOLD = 1000

/** The writes of an entry that a dump will make: puts and clears of disc_copies tables. */
export function discWrites(entry: LogEntry, isDiscCopies: (table: string) => boolean): number {
  let n = 0
  for (const op of entry.ops) if (op.k !== 'schema' && isDiscCopies(op.t)) n++
  return n
}

/** The LSN up to which the disc_copies stores reflect the log (read inside `tx`). */
export async function dumpedLsn(tx: BackendTx): Promise<number> {
  return ((await tx.store(META).get(DUMPED)) as number | undefined) ?? 0
}

/**
 * What a dump applies: every entry in (`from`, `upTo`] that writes a disc_copies table (entries
 * that do not are left out), and those tables' definitions.
 */
export interface DumpPlan {
  /** The entries are complete after this LSN (`meta.dumped` can never be below it). */
  readonly from: number
  /** The LSN the stores reflect once the plan is applied. */
  readonly upTo: number
  readonly entries: readonly LogEntry[]
  readonly defs: ReadonlyMap<string, TableDef>
  /**
   * The tables whose snapshot to rewrite (storage/disc-image.ts), each with its records as of
   * `upTo`: asked for once the stores are known to be at or below `upTo`, synchronously before
   * anything is written (a tab's memory, which must then be at `upTo`; the map may be empty).
   */
  readonly compact?: () => ReadonlyMap<string, Iterable<{ readonly recs: readonly Rec[] }>>
}

/** The object stores a plan writes. */
export function planStores(plan: DumpPlan): string[] {
  const stores = new Set<string>()
  for (const e of plan.entries) for (const op of e.ops) if (op.k !== 'schema' && plan.defs.has(op.t)) stores.add(storeName({ name: op.t }))
  return [...stores]
}

/** Reads what a dump has to do from the log, inside `tx` (over `meta`, `schema` and `log`). */
export async function planFromLog(tx: BackendTx): Promise<DumpPlan> {
  const from = await dumpedLsn(tx)
  const entries = await readLog(tx.store(LOG), from)
  const first = entries[0]
  if (first && first.lsn !== from + 1) {
    throw new WebnesiaError('storage', `the log starts at ${String(first.lsn)}, after the dump at ${String(from)}`)
  }
  const defs = new Map<string, TableDef>()
  if (entries.length > 0) {
    for (const def of (await tx.store(SCHEMA).getAll()) as TableDef[]) if (def.storage === 'disc_copies') defs.set(def.name, def)
  }
  return { from, upTo: entries[entries.length - 1]?.lsn ?? from, entries, defs }
}

/**
 * Applies a plan inside `tx` (readwrite over `meta` and the plan's stores): the entries after
 * `meta.dumped` as it is now (another dump may have gone first), then moves `dumped` to the
 * plan's `upTo`. Returns the new `dumped` LSN.
 */
export async function applyDump(tx: BackendTx, plan: DumpPlan): Promise<number> {
  const dumped = await dumpedLsn(tx)
  if (dumped > plan.upTo || (dumped === plan.upTo && !plan.compact)) return dumped
  if (dumped < plan.from) {
    throw new WebnesiaError('storage', `a dump of the entries after ${String(plan.from)} found the stores at ${String(dumped)}`)
  }
  const snapshots = plan.compact?.() ?? new Map<string, Iterable<{ readonly recs: readonly Rec[] }>>()
  for (const entry of plan.entries) {
    if (entry.lsn <= dumped || entry.lsn > plan.upTo) continue
    for (const op of entry.ops) {
      if (op.k === 'schema') throw new WebnesiaError('storage', `schema entry ${String(entry.lsn)} after the dump at ${String(dumped)}`)
      const def = plan.defs.get(op.t)
      if (!def || snapshots.has(op.t)) continue
      const store = tx.store(storeName(def))
      if (op.k === 'clear') fire(store.clear())
      else writeDelta(store, op)
    }
  }
  for (const [table, slots] of snapshots) writeSnapshot(tx.store(storeName({ name: table })), slots)
  if (dumped < plan.upTo) fire(tx.store(META).put(plan.upTo, DUMPED))
  return plan.upTo
}

/**
 * Dumps in one transaction (readwrite over `meta`, `schema`, `log` and every disc_copies store):
 * how a loading tab and a schema change do it. Returns the new `dumped` LSN.
 */
export async function dumpLog(tx: BackendTx): Promise<number> {
  return applyDump(tx, await planFromLog(tx))
}
