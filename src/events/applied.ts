/**
 * The per-commit "applied" notification: after a log entry is applied to this tab's memory, what
 * it touched — table by table, the keys it changed, or the whole table (a clear) — and whether it
 * changed the schema. It is the seam live queries stand on (DESIGN.md decision 9): every change
 * of the node, this tab's, another tab's or a peer's, enters memory through one applied entry,
 * so matching these sets against a read set tells exactly which reads a commit invalidated.
 *
 * A `reset` notification says memory was rebuilt wholesale (a reload after a log gap): every
 * reader must read again. `closed` says the tab's handle closed.
 *
 * @module
 */
import type { LogEntry } from '../log/entry.js'
import { KeyMap, type Key } from '../storage/term.js'

/** What one applied commit changed. */
export interface AppliedCommit {
  readonly type: 'commit'
  /** The entry's LSN: notifications arrive in LSN order. */
  readonly lsn: number
  /** Per table: the keys changed, or `'table'` when every record may have changed (a clear). */
  readonly touched: ReadonlyMap<string, KeyMap<Key> | 'table'>
  /** True when the entry created, changed or deleted a table. */
  readonly schema: boolean
}

/** Memory was rebuilt from disc at `lsn`: anything may have changed. */
export interface AppliedReset {
  readonly type: 'reset'
  readonly lsn: number
}

/** The tab's handle closed: nothing more will be applied. */
export interface AppliedClosed {
  readonly type: 'closed'
  readonly lsn: number
}

/** A notification of {@link AppliedListeners}. */
export type Applied = AppliedCommit | AppliedReset | AppliedClosed

/** What a log entry touched. */
export function touchedBy(entry: LogEntry): AppliedCommit {
  const touched = new Map<string, KeyMap<Key> | 'table'>()
  let schema = false
  for (const op of entry.ops) {
    if (op.k === 'schema') {
      schema = true
      touched.set(op.def.name, 'table')
      continue
    }
    if (op.k === 'clear') {
      touched.set(op.t, 'table')
      continue
    }
    let keys = touched.get(op.t)
    if (keys === 'table') continue
    if (!keys) touched.set(op.t, (keys = new KeyMap<Key>()))
    keys.set(op.key, op.key)
  }
  return { type: 'commit', lsn: entry.lsn, touched, schema }
}

/** The listeners of one tab; the touched sets are built only when someone listens. */
export class AppliedListeners {
  private readonly fns = new Set<(a: Applied) => void>()

  /** Adds a listener; returns the function that removes it. */
  add(fn: (a: Applied) => void): () => void {
    this.fns.add(fn)
    return () => {
      this.fns.delete(fn)
    }
  }

  /** Notifies every listener of an applied entry. */
  entry(entry: LogEntry): void {
    if (this.fns.size === 0) return
    this.emit(touchedBy(entry))
  }

  /** Notifies every listener that memory was rebuilt at `lsn`. */
  reset(lsn: number): void {
    if (this.fns.size > 0) this.emit({ type: 'reset', lsn })
  }

  /** Notifies every listener that the handle closed, and forgets them. */
  close(lsn: number): void {
    const fns = [...this.fns]
    this.fns.clear()
    for (const fn of fns) fn({ type: 'closed', lsn })
  }

  private emit(a: Applied): void {
    for (const fn of [...this.fns]) {
      try {
        fn(a)
      } catch (e) {
        // A listener's error must not break the commit path.
        if (typeof reportError === 'function') reportError(e)
        else console.error(e)
      }
    }
  }
}
