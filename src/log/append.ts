/**
 * The append protocol: how every change of the node enters the log. One writer, used by the
 * committer (txn/committer.ts: transactions, dirty operations, peer changes) and by schema
 * changes (schema/ddl.ts) alike:
 *
 *   1. {@link LogWriter.entry}: each entry gets a commit id, registered as this tab's own until it
 *      is published or abandoned (a catch-up that reads it from the log first still reports it
 *      with origin 'local');
 *   2. {@link LogWriter.append}: ONE `add` of one log record holding the entries, under the first
 *      entry's LSN (log/entry.ts `logKey`): two tabs appending from the same LSN collide on the
 *      key, the second `add` fails with a ConstraintError and its whole transaction aborts;
 *   3. {@link LogWriter.outcome}: the transaction's end, told apart: committed, collided (another
 *      tab took the key: nothing landed, catch up and redo), or failed — where "failed" around
 *      `complete` may still have landed, so the first entry's commit id is looked up in the log
 *      (a commit that landed is acknowledged, never applied twice);
 *   4. {@link LogWriter.publish}: apply the entries to this tab's memory (the node's applier and
 *      its hooks: indexes, events, dump bookkeeping, replication) and announce the last LSN to
 *      the other tabs.
 *
 * @module
 */
import { newId } from '../util/ids.js'
import type { Origin } from '../log/entry.js'
import { logKey, type LogEntry, type LogOp, type LogRecord } from './entry.js'

/** What the writer needs of the tab it writes for (the node's applier). */
export interface AppendTarget {
  readonly tab: string
  /** LSN of the last entry this tab applied. */
  readonly applied: number
  /** Commit ids of this tab's entries in flight. */
  readonly localCids: Set<string>
  applyEntry(entry: LogEntry, origin: Origin): void
  /** Tells the other tabs that the log holds `lsn` (and, when given, the entries that end there). */
  announce(lsn: number, entries?: readonly LogEntry[]): void
}

/** Where the log record goes: the `log` store of the transaction that commits the entries. */
export interface LogSink {
  add(value: unknown, key: number): Promise<unknown>
}

/** The record of one append, handed back to {@link LogWriter.outcome}. */
export interface Appended {
  readonly entries: readonly LogEntry[]
  /** The `add` request (its rejection is handled: it is only looked at). */
  readonly added: Promise<unknown>
}

/** How an append's transaction ended. */
export type AppendOutcome = 'committed' | 'collided'

/** The single writer of a tab's log appends. */
export class LogWriter {
  constructor(
    private readonly node: AppendTarget,
    /** Reads the log record under `key` in a fresh transaction (the unknown-outcome lookup). */
    private readonly lookup: (key: number) => Promise<LogRecord | undefined>,
  ) {}

  /** A new entry of this tab at `lsn`, its commit id registered as local (`kind`: 'c-' commits, 's-' schema). */
  entry(lsn: number, ops: readonly LogOp[], peer?: string, kind = 'c-'): LogEntry {
    const cid = newId(kind)
    this.node.localCids.add(cid)
    return peer !== undefined ? { lsn, cid, tab: this.node.tab, peer, ops } : { lsn, cid, tab: this.node.tab, ops }
  }

  /** Issues the `add` of one log record holding `entries`, under the first entry's LSN. */
  append(log: LogSink, entries: readonly LogEntry[]): Appended {
    const added = log.add(entries, logKey(entries))
    added.catch(() => undefined) // looked at in outcome(), when the transaction fails
    return { entries, added }
  }

  /**
   * Waits for the end of the transaction (`done`) an append was made in. Resolves 'committed', or
   * 'collided' when another tab's record took the key (nothing of the transaction landed);
   * rejects with the transaction's error when it failed and the first entry is not in the log.
   */
  async outcome(done: Promise<unknown>, appended: Appended | null): Promise<AppendOutcome> {
    try {
      await done
      return 'committed'
    } catch (e) {
      const addError: unknown = appended ? await appended.added.then(() => null, (x: unknown) => x) : null
      if ((addError as { name?: string } | null)?.name === 'ConstraintError') return 'collided'
      if (!appended || !(await this.landed(appended.entries[0]))) throw e
      return 'committed'
    }
  }

  /** True when the entry's commit id is in the log: the commit landed though no ack was seen. */
  private async landed(entry: LogEntry | undefined): Promise<boolean> {
    if (!entry) return false
    try {
      const found = await this.lookup(entry.lsn)
      return found?.some((e) => e.cid === entry.cid) ?? false
    } catch {
      return false
    }
  }

  /**
   * Applies durable entries to this tab (in LSN order; entries already applied, by a catch-up
   * that read them from the log first, are skipped) and releases their commit ids.
   */
  apply(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      this.node.applyEntry(entry, entry.peer !== undefined ? 'peer' : 'local')
      this.node.localCids.delete(entry.cid)
    }
  }

  /** Tells the other tabs the log holds `lsn` (after {@link apply} and the callers' acknowledgements). */
  announce(lsn: number, entries?: readonly LogEntry[]): void {
    this.node.announce(lsn, entries)
  }

  /** {@link apply}, then {@link announce} the last entry. */
  publish(entries: readonly LogEntry[]): void {
    this.apply(entries)
    const last = entries[entries.length - 1]
    if (last) this.announce(last.lsn, entries)
  }

  /** Releases the commit ids of entries that will not be published (their commit failed). */
  abandon(entries: readonly LogEntry[]): void {
    for (const e of entries) this.node.localCids.delete(e.cid)
  }
}
