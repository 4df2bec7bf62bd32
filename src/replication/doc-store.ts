/**
 * Persistence of replication state in the node's storage, through the backend seam
 * (backend/backend.ts: IndexedDB in a browser, files on Node), so a node on any backend can join
 * (the only module of `replication/` that writes storage itself; loader.ts reads disc_only_copies
 * rows to reconcile and merge tables through the backend too):
 *
 *     store `ydoc`            key 1, 2, … (the last key + 1; created autoIncrement, as format 4
 *                             always did) → a Yjs update of the replication document; loaded
 *                             (merged) on start and compacted to one update when there were more
 *     store `meta`, 'partition'   { known: node ids met, apart: [node, tables changed here while it was away][] }
 *
 * Writes are batched: the updates of a burst (20 ms) go in one backend transaction, merged.
 *
 * @module
 */
import * as Y from 'yjs'
import { fire } from '../backend/requests.js'
import { META, YDOC } from '../log/connection.js'
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
    const backend = this.node.backend
    if (!(await backend.storeNames()).includes(YDOC)) {
      await backend.upgrade(async (tx) => {
        if (!tx.hasStore(YDOC)) tx.createStore(YDOC, { autoIncrement: true })
        return Promise.resolve()
      })
    }
    const r = await backend.transaction([YDOC], 'readonly')
    const stored = (await r.store(YDOC).getAll()) as Uint8Array[]
    if (stored.length === 0) return
    let merged = Y.mergeUpdates(stored)
    Y.applyUpdate(doc, merged, LOADED)
    // What Yjs keeps pending (deletes of clocks the document lacks, structs after a gap): only a
    // store written before the guard left such parts out (guard.ts) has any. Dropped, with the
    // stored state rewritten without them: Yjs sends them on in every state, so peers that
    // leave out updates with gaps would leave out every SYNC2 of this node. The peers that have
    // what the gap lacks send it all again, whole.
    const dirty = doc.store.pendingDs !== null || doc.store.pendingStructs !== null
    if (dirty) {
      doc.store.pendingDs = null
      doc.store.pendingStructs = null
      merged = Y.encodeStateAsUpdate(doc)
    }
    if (stored.length > 1 || dirty) {
      // Compact: one update instead of many.
      const tx = await backend.transaction([YDOC], 'readwrite')
      const s = tx.store(YDOC)
      fire(s.clear())
      fire(s.add(merged, 1))
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
    const tx = await this.node.backend.transaction([YDOC], 'readwrite')
    const s = tx.store(YDOC)
    const last = await s.edgeKey(undefined, 'prev')
    fire(s.add(batch.length === 1 ? batch[0] : Y.mergeUpdates(batch), typeof last === 'number' ? last + 1 : 1))
    await tx.done
  }

  /** The partition bookkeeping of the last run (null: none, or not readable). */
  async loadPartition(): Promise<SavedPartition | null> {
    const tx = await this.node.backend.transaction([META], 'readonly')
    const saved = await tx.store(META).get(PARTITION)
    return isSavedPartition(saved) ? saved : null
  }

  /** Stores the partition bookkeeping. */
  async savePartition(saved: SavedPartition): Promise<void> {
    if (this.node.closed) return
    const tx = await this.node.backend.transaction([META], 'readwrite')
    fire(tx.store(META).put(saved, PARTITION))
    await tx.done
  }
}

function isSavedPartition(v: unknown): v is SavedPartition {
  if (typeof v !== 'object' || v === null) return false
  const s = v as Partial<SavedPartition>
  const strings = (xs: unknown): boolean => Array.isArray(xs) && xs.every((x) => typeof x === 'string')
  return strings(s.known) && Array.isArray(s.apart) && s.apart.every((p) => Array.isArray(p) && typeof p[0] === 'string' && strings(p[1]))
}
