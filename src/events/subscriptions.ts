/**
 * Table and system events (Mnesia's mnesia_subscr), fed from the commit log in LSN order.
 *
 * Every tab derives the same events from the same log entry: each put op replays its intents
 * over the key's old records, and each intent that changed something (a set write always
 * counts, as in Mnesia) becomes one event. Events are delivered synchronously after the entry is
 * applied to memory, so a subscriber never sees a commit that finished before it subscribed, and
 * never one that did not commit.
 *
 * @module
 */
import type { ErrorCode } from '../errors.js'
import { intentsOf, type LogEntry, type Origin, type PutOp } from '../log/entry.js'
import { applyIntent, exportRecord, exportRecords, type Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'
import { AppliedListeners } from './applied.js'

/** Where a change came from, seen from the receiving tab. */
export type { Origin }

/** A simple table event. */
export type TableEvent =
  | { type: 'write'; table: string; record: Rec; origin: Origin }
  | { type: 'delete'; table: string; key: Key; origin: Origin }
  | { type: 'delete_object'; table: string; record: Rec; origin: Origin }
  | { type: 'clear'; table: string; origin: Origin }

/** A detailed table event: adds the records before the change and the transaction id. */
export type DetailedTableEvent = TableEvent & { old: Rec[]; tid: string }

/** A system event. */
export type SystemEvent =
  | { type: 'table_created' | 'table_deleted' | 'table_changed'; table: string; origin: Origin }
  | { type: 'node_up' | 'node_down'; node: string }
  | { type: 'table_copied'; table: string; node: string }
  | { type: 'inconsistent_database'; tables: string[]; nodes: string[] }
  | { type: 'copy_started'; table: string }
  | { type: 'copy_progress'; table: string; done: number; total: number }
  | { type: 'peer_rejected'; node: string; reason: string }
  /** A change from peer `node` to `key` was refused by the table's remote policy (replication/policy.ts). */
  | { type: 'remote_refused'; table: string; key: Key; node: string }
  | { type: 'replication_error'; message: string }
  | { type: 'sync_incomplete'; lsn: number; nodes: string[] }
  | { type: 'leader' | 'leader_lost'; tab: string }
  | { type: 'schema_replicated'; from: string }
  /**
   * The primary role of `table` changed in this node's replication document (`setPrimary` here or
   * on a peer, src/primary/): `node` commits the table's writes from now on, at fencing `epoch`.
   */
  | { type: 'primary_changed'; table: string; node: string; epoch: number }
  /** A background dump of the log into the disc_copies stores failed in this tab (log/dumper.ts). */
  | { type: 'dump_failed'; code: ErrorCode; message: string }
  /**
   * A saga's compensation ran out of retries (src/saga/): the saga `id` of definition `saga` is
   * `'stuck'` at compensation `step` and needs a person. Emitted once, by the tab that ran it.
   */
  | { type: 'saga_stuck'; saga: string; id: string; step: string; reason: string }
  /**
   * Events of one stream appended on different nodes while apart met here (`src/eventstore/`):
   * the stream's versions from `version` on are not what some node saw when it appended.
   */
  | { type: 'stream_conflict'; stream: string; version: number }

/** What to subscribe to. */
export type SubscriptionSpec = { table: string; detail?: 'simple' | 'detailed' } | 'system'

type Listener = (ev: TableEvent | DetailedTableEvent) => void

interface TableSub {
  detailed: boolean
  /** Entries at or below this LSN had committed (somewhere in the node) before the subscription. */
  after: number
  fn: Listener
}

/** The subscribers of one tab. */
export class Subscriptions {
  private readonly byTable = new Map<string, Set<TableSub>>()
  private readonly system = new Set<(ev: SystemEvent) => void>()
  /** What each applied entry touched, after its events (the seam of live queries: `applied.ts`). */
  readonly applied = new AppliedListeners()

  addTable(table: string, detailed: boolean, fn: Listener, after = 0): () => void {
    let set = this.byTable.get(table)
    if (!set) this.byTable.set(table, (set = new Set()))
    const sub: TableSub = { detailed, fn, after }
    set.add(sub)
    return () => {
      set.delete(sub)
    }
  }
  addSystem(fn: (ev: SystemEvent) => void): () => void {
    this.system.add(fn)
    return () => {
      this.system.delete(fn)
    }
  }
  /** Drops every subscription of a table (the table was deleted). */
  dropTable(table: string): void {
    this.byTable.delete(table)
  }

  emitSystem(ev: SystemEvent): void {
    for (const fn of [...this.system]) safeCall(fn, ev)
  }

  /** Delivers the events of one applied log entry. `bags` tells which tables are bags. */
  emitEntry(entry: LogEntry, origin: Origin, isBag: (table: string) => boolean): void {
    for (const op of entry.ops) {
      if (op.k === 'schema') {
        const type = op.op === 'create' ? 'table_created' : op.op === 'delete' ? 'table_deleted' : 'table_changed'
        this.emitSystem({ type, table: op.def.name, origin })
        if (op.op === 'delete') this.dropTable(op.def.name)
        continue
      }
      const subs = this.byTable.get(op.t)
      if (!subs || subs.size === 0) continue
      if (op.k === 'clear') {
        if (op.quiet) continue
        for (const s of [...subs]) if (entry.lsn > s.after) safeCall(s.fn, s.detailed ? { type: 'clear', table: op.t, origin, old: [], tid: entry.cid } : { type: 'clear', table: op.t, origin })
        continue
      }
      for (const { ev, old } of putEvents(op, origin, isBag(op.t))) {
        for (const s of [...subs]) if (entry.lsn > s.after) safeCall(s.fn, s.detailed ? { ...ev, old: exportRecords(old), tid: entry.cid } : ev)
      }
    }
    this.applied.entry(entry)
  }
}

function* putEvents(op: PutOp, origin: Origin, bag: boolean): Generator<{ ev: TableEvent; old: readonly Rec[] }> {
  let cur = op.old
  for (const intent of intentsOf(op)) {
    const next = applyIntent(cur, intent, bag)
    if ('w' in intent) {
      if (!bag || next !== cur) yield { ev: { type: 'write', table: op.t, record: exportRecord(intent.w), origin }, old: cur }
    } else if ('d' in intent) {
      if (cur.length > 0) yield { ev: { type: 'delete', table: op.t, key: op.key, origin }, old: cur }
    } else if (next !== cur) {
      yield { ev: { type: 'delete_object', table: op.t, record: exportRecord(intent.o), origin }, old: cur }
    }
    cur = next
  }
}

function safeCall<T>(fn: (ev: T) => void, ev: T): void {
  try {
    fn(ev)
  } catch (e) {
    // A subscriber's error must not break the commit path: report it like an uncaught error.
    if (typeof reportError === 'function') reportError(e)
    else console.error(e)
  }
}
