/**
 * What a transaction read and what it wants to write (seed 003: a transaction-private store of
 * intents tagged ins/del, merged with the shared table on read, applied at commit).
 *
 * The read set holds, per key read, the version seen: the LSN of the commit that last changed
 * the key in memory (0 for an absent key), or for disc_only_copies tables the canonical form of
 * the records seen (validated by value inside the commit's IndexedDB transaction). Table-level
 * reads (scans, folds, index reads, table locks) hold the table's version, which catches phantoms.
 *
 * @module
 */
import type { Intent } from '../storage/record.js'
import type { Increment } from './counter.js'
import { KeyMap, type Key } from '../storage/term.js'

/** An intent as a write set holds it: increments are resolved into writes at commit (counter.ts). */
export type PendingIntent = Intent | Increment

/** The intents of one key. */
export interface KeyWrites {
  readonly key: Key
  intents: PendingIntent[]
}

/** The writes of one table. */
export interface TableWrites {
  /** Every record of the table removed before the keys' intents apply. */
  clear: boolean
  readonly keys: KeyMap<KeyWrites>
}

/** A transaction's writes, by table. */
export class WriteSet {
  readonly tables = new Map<string, TableWrites>()

  get empty(): boolean {
    return this.tables.size === 0
  }
  table(t: string): TableWrites {
    let tw = this.tables.get(t)
    if (!tw) this.tables.set(t, (tw = { clear: false, keys: new KeyMap() }))
    return tw
  }
  add(t: string, key: Key, intent: PendingIntent): void {
    const tw = this.table(t)
    const kw = tw.keys.get(key)
    if (kw) kw.intents.push(intent)
    else tw.keys.set(key, { key, intents: [intent] })
  }
  clear(t: string): void {
    const tw = this.table(t)
    tw.clear = true
    tw.keys.clear()
  }
  /** Appends a child's writes (a nested transaction that committed). */
  merge(child: WriteSet): void {
    for (const [t, ctw] of child.tables) {
      if (ctw.clear) this.clear(t)
      const tw = this.table(t)
      for (const kw of ctw.keys.values()) {
        const mine = tw.keys.get(kw.key)
        if (mine) mine.intents.push(...kw.intents)
        else tw.keys.set(kw.key, { key: kw.key, intents: [...kw.intents] })
      }
    }
  }
}

/** One key read: table, key and the version seen. */
export interface KeyRead {
  readonly t: string
  readonly key: Key
  readonly v: number | string
}

/** What a transaction read. */
export class ReadSet {
  readonly keys: KeyRead[] = []
  readonly tables = new Map<string, number>()
  /** Tables whose disc_only copy was read by key (their stores join the commit transaction). */
  readonly discOnly = new Set<string>()
  /** Set when a read of this transaction raised a conflict (even one the function caught). */
  conflict = false

  get empty(): boolean {
    return this.keys.length === 0 && this.tables.size === 0
  }
  merge(child: ReadSet): void {
    this.keys.push(...child.keys)
    for (const [t, v] of child.tables) if (!this.tables.has(t)) this.tables.set(t, v)
    for (const t of child.discOnly) this.discOnly.add(t)
  }
}
