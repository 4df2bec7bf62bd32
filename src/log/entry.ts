/**
 * The commit log entry: one per committed change (a transaction, a dirty operation, a schema
 * change). The `log` store holds one {@link LogRecord} per commit: the entries of a whole group
 * commit, under the LSN of its FIRST entry ({@link logKey}; one `add` per group instead of one per
 * transaction), written by the append protocol (log/append.ts) in the transaction that also writes
 * the disc_only_copies stores the entries change (disc_copies stores follow later: log/dumper.ts).
 *
 *     LogEntry {
 *       lsn:  number         log sequence number, dense: 1, 2, 3, ...
 *       cid:  string         commit id, unique: tells a landed-but-unacknowledged commit apart
 *       tab:  string         id of the tab that committed it
 *       peer?: string        node id, when the change came from a peer (origin 'peer')
 *       ops:  LogOp[]        in order
 *     }
 *
 * Every op carries the new state of what it touches, so a tab catching up applies an entry
 * without re-running anything; `old` and the intents (`i`) are kept so that every tab derives the
 * same events (simple and detailed) from the entry.
 *
 * @module
 */
import { KeyRange, type Store } from '../backend/backend.js'
import type { TableDef } from '../schema/table-def.js'
import type { Intent, Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'

export { newId } from '../util/ids.js'

/** The new state of one key of a table. */
export interface PutOp {
  readonly k: 'put'
  readonly t: string
  readonly key: Key
  readonly old: readonly Rec[]
  readonly recs: readonly Rec[]
  /**
   * The intents that produced it (events are derived from them). Absent for the common case of
   * one write that became the key's only record: see {@link intentsOf}.
   */
  readonly i?: readonly Intent[]
}

/** The intents of a put op. */
export function intentsOf(op: PutOp): readonly Intent[] {
  if (op.i) return op.i
  const only = op.recs[0]
  return op.recs.length === 1 && only !== undefined ? [{ w: only }] : []
}

/** Every record of a table removed. */
export interface ClearOp {
  readonly k: 'clear'
  readonly t: string
  /** Part of a table transformation: no table event (the schema event says it). */
  readonly quiet?: true
}

/** A table created, changed (index, attributes, copies) or deleted. */
export interface SchemaOp {
  readonly k: 'schema'
  readonly op: 'create' | 'update' | 'delete'
  readonly def: TableDef
}

export type LogOp = PutOp | ClearOp | SchemaOp

/** Where an applied entry came from: this tab, another tab of the node, or a peer node. */
export type Origin = 'local' | 'tab' | 'peer'

/** One committed change. */
export interface LogEntry {
  readonly lsn: number
  readonly cid: string
  readonly tab: string
  readonly peer?: string
  readonly ops: readonly LogOp[]
}

/** What the `log` store holds under a key: the entries of one group commit, in LSN order. */
export type LogRecord = readonly LogEntry[]

/**
 * The log key of a record holding `entries`: the LSN of its FIRST entry. Every commit after LSN
 * n starts at n + 1, so two commits racing from the same state collide on this key: a commit
 * `add`s its record and, if another tab got there first, the IndexedDB transaction aborts with a
 * ConstraintError, undoing everything (the committer then catches up and tries again).
 */
export function logKey(entries: LogRecord): number {
  const first = entries[0]
  if (!first) throw new RangeError('an empty log record')
  return first.lsn
}

/**
 * Every entry after LSN `after` in the `log` store. `after` is a group boundary (tabs apply whole
 * records), so the records needed are those keyed after it; a record missing at the start shows
 * as a gap to the caller (`LocalNode.applyEntries`), which reloads.
 */
export async function readLog(store: Pick<Store, 'getAll'>, after: number): Promise<LogEntry[]> {
  const records = (await store.getAll(KeyRange.lowerBound(after, true))) as LogRecord[]
  return records.flat()
}

/** The LSN of the last entry of the log (0 when empty). */
export async function lastLogLsn(store: Pick<Store, 'entries'>): Promise<number> {
  const [last] = await store.entries(undefined, 'prev', 1)
  const rec = last?.value as LogRecord | undefined
  return rec?.[rec.length - 1]?.lsn ?? 0
}
