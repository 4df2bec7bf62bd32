/**
 * The node's replication document (DESIGN.md decision 5): one Y.Doc holding the schema and every
 * replicated table, the CRDT that decides how concurrent changes on different nodes merge.
 *
 *     root map `schema`       table name → the cluster-wide definition (no storage: that is per node)
 *     root map `copies`       `<table>\0<node>` → that node's storage type, or null (no copy)
 *     root map `primary`      table name → its primary role `{ node, epoch }` (src/primary/)
 *     root map `t:<cookie>`   keyString(key) → the key's records (encoded, codec.ts), one array
 *
 * Table maps are named by the table's cookie, so a table deleted and created again starts from
 * an empty map. Concurrent writes of one key resolve by Yjs's deterministic rule (the same on
 * every node); a bag key's records travel together, so concurrent writes to one bag key keep one
 * side's records.
 *
 * @module
 */
import * as Y from 'yjs'
import type { LogEntry } from '../log/entry.js'
import type { StorageType, TableDef, TableType } from '../schema/table-def.js'
import type { Rec } from '../storage/record.js'
import { canonical, type Key } from '../storage/term.js'
import { encodeRecords, keyString } from './codec.js'

/** The part of a table definition every node shares. */
export interface ClusterDef {
  name: string
  attributes: string[]
  type: TableType
  index: string[]
  recordName: string
  cookie: string
  masterNodes: string[]
}

/** The node that commits a primary table's writes for the cluster, and the role's epoch (fencing). */
export interface PrimaryRole {
  node: string
  epoch: number
}

/** Origin of document transactions made by this node from its own commits. */
export const LOCAL = Symbol('webnesia-local')
/** Origin of the document state loaded from IndexedDB. */
export const LOADED = Symbol('webnesia-loaded')

/** The shared part of a definition. */
export function clusterDef(def: TableDef): ClusterDef {
  return {
    name: def.name,
    attributes: [...def.attributes],
    type: def.type,
    index: [...def.index],
    recordName: def.recordName,
    cookie: def.cookie,
    masterNodes: [...def.masterNodes],
  }
}

/** The copies map key of a node's copy of a table. */
export function copyKey(table: string, node: string): string {
  return `${table}\u0000${node}`
}

/** The replication document of one node. */
export class ReplicaDoc {
  readonly doc = new Y.Doc()
  readonly schema: Y.Map<ClusterDef>
  readonly copies: Y.Map<StorageType | null>
  readonly primary: Y.Map<PrimaryRole>

  constructor() {
    this.schema = this.doc.getMap('schema')
    this.copies = this.doc.getMap('copies')
    this.primary = this.doc.getMap('primary')
  }

  /** The map of a table's records. */
  table(cookie: string): Y.Map<unknown[]> {
    return this.doc.getMap(`t:${cookie}`)
  }

  /** Root name → map, for the roots a transaction touched. */
  rootName(type: Y.AbstractType<unknown>): string | null {
    for (const [name, t] of this.doc.share) if (t === type) return name
    return null
  }

  /** Nodes holding a copy of a table, by storage type. */
  copiesOf(table: string): Map<string, StorageType> {
    const out = new Map<string, StorageType>()
    const prefix = `${table}\u0000`
    for (const [k, v] of this.copies) {
      if (k.startsWith(prefix) && v) out.set(k.slice(prefix.length), v)
    }
    return out
  }

  /**
   * Applies one of this node's committed log entries to the document, in one document
   * transaction with the {@link LOCAL} origin. `replicated` tells which tables travel.
   */
  applyLocal(entry: LogEntry, self: string, defOf: (t: string) => TableDef | undefined, droppingCopy: (t: string) => boolean): void {
    this.doc.transact(() => {
      for (const op of entry.ops) {
        if (op.k === 'schema') {
          const def = op.def
          if (def.localContent) continue
          if (op.op === 'delete' && droppingCopy(def.name)) {
            // Only this node's copy goes (delTableCopy): the table lives on elsewhere.
            this.copies.set(copyKey(def.name, self), null)
          } else if (op.op === 'delete') {
            // The table goes everywhere (Mnesia's delete_table): its definition and every
            // node's copy entry; each node drops its copy when it sees that.
            const cur = this.schema.get(def.name)
            if (cur?.cookie === def.cookie) {
              this.schema.delete(def.name)
              this.clearTable(def.cookie)
              for (const k of [...this.copies.keys()]) if (k.startsWith(`${def.name}\u0000`)) this.copies.delete(k)
            }
            this.copies.delete(copyKey(def.name, self))
          } else {
            const cdef = clusterDef(def)
            const cur = this.schema.get(def.name)
            if (!cur || canonical(cur) !== canonical(cdef)) this.schema.set(def.name, cdef)
            if (this.copies.get(copyKey(def.name, self)) !== def.storage) this.copies.set(copyKey(def.name, self), def.storage)
          }
          continue
        }
        const def = defOf(op.t)
        if (!def || def.localContent) continue
        if (op.k === 'clear') this.clearTable(def.cookie)
        else this.setKey(def.cookie, op.key, op.recs)
      }
    }, LOCAL)
  }

  /** Sets (or, with no records, deletes) a key in a table map. Call inside a transaction. */
  setKey(cookie: string, key: Key, recs: readonly Rec[]): void {
    const m = this.table(cookie)
    const k = keyString(key)
    if (recs.length === 0) {
      if (m.has(k)) m.delete(k)
    } else {
      m.set(k, encodeRecords(recs))
    }
  }

  private clearTable(cookie: string): void {
    const m = this.table(cookie)
    for (const k of [...m.keys()]) m.delete(k)
  }
}
