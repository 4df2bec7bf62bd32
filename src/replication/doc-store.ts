/**
 * Persistence of replication state in the node's IndexedDB database (the only module of
 * `replication/` that writes storage itself; loader.ts reads disc_only_copies rows to reconcile
 * and merge tables, through `node.conn` and `groupRows`):
 *
 *     store `ydoc`            autoIncrement → a Yjs update of the replication document; loaded
 *                             (merged) on start and compacted to one update when there were more
 *     store `meta`, 'partition'   { known: node ids met, apart: [node, tables changed here while it was away][] }
 *
 * Writes are batched: the updates of a burst (20 ms) go in one IDB transaction, merged.
 *
 * @module
 */
import * as Y from 'yjs'
import { fire, META, YDOC } from '../log/connection.js'
import type { LocalNode } from '../node.js'
import { LOADED } from './doc.js'

/** The `meta` key of the partition bookkeeping. */
const PARTITION = 'partition'

/** The partition bookkeeping as kept in `meta`. */
export interface SavedPartition {
  known: string[]
  /** [node, tables changed here while it was away] */
  apart: [string, string[]][]
}

/** The replication state on disc. */
export class DocStore {
  private pending: Uint8Array[] = []
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(private readonly node: LocalNode) {}

  /** Loads the stored updates into `doc` (origin {@link LOADED}), creating the store the first time. */
  async load(doc: Y.Doc): Promise<void> {
    const node = this.node
    let db = await node.conn.get()
    if (!db.objectStoreNames.contains(YDOC)) {
      await node.conn.upgrade(async (d) => {
        if (!d.objectStoreNames.contains(YDOC)) d.createObjectStore(YDOC, { autoIncrement: true })
        return Promise.resolve()
      })
      db = await node.conn.get()
    }
    const stored = (await db.getAll(YDOC)) as Uint8Array[]
    if (stored.length === 0) return
    const merged = Y.mergeUpdates(stored)
    Y.applyUpdate(doc, merged, LOADED)
    if (stored.length > 1) {
      // Compact: one update instead of many.
      const tx = db.transaction(YDOC, 'readwrite')
      fire(tx.store.clear())
      fire(tx.store.add(merged))
      await tx.done
    }
  }

  /** Keeps a document update, soon (one write per burst). */
  persist(update: Uint8Array): void {
    this.pending.push(update)
    this.timer ??= setTimeout(() => {
      void this.flush().catch((e: unknown) => {
        this.node.reportError(e)
      })
    }, 20)
  }

  /** Writes the updates kept so far. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const batch = this.pending
    this.pending = []
    if (batch.length === 0 || this.node.closed) return
    const db = await this.node.conn.get()
    const tx = db.transaction(YDOC, 'readwrite')
    fire(tx.store.add(batch.length === 1 ? (batch[0] as Uint8Array) : Y.mergeUpdates(batch)))
    await tx.done
  }

  /** The partition bookkeeping of the last run (null: none, or not readable). */
  async loadPartition(): Promise<SavedPartition | null> {
    const db = await this.node.conn.get()
    const saved = (await db.get(META, PARTITION)) as unknown
    return isSavedPartition(saved) ? saved : null
  }

  /** Stores the partition bookkeeping. */
  async savePartition(saved: SavedPartition): Promise<void> {
    if (this.node.closed) return
    const db = await this.node.conn.get()
    await db.put(META, saved, PARTITION)
  }
}

function isSavedPartition(v: unknown): v is SavedPartition {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Partial<SavedPartition>
  const strings = (xs: unknown): boolean => Array.isArray(xs) && xs.every((x) => typeof x === 'string')
  return strings(s.known) && Array.isArray(s.apart) && s.apart.every((p) => Array.isArray(p) && typeof p[0] === 'string' && strings(p[1]))
}
