/**
 * Where tables live, and getting them there (Mnesia's mnesia_loader, and the schema half of
 * mnesia_controller): the local catalog follows the document's `schema` and `copies` maps, and
 * the document follows the local tables.
 *
 *     schema / copies changed (a peer, or setCopy) ──► syncSchema:
 *       table in the doc, no copy here, copy wanted ──► adopt: ddl.adoptTable (the cluster's
 *           cookie), then its records in batches (`copy_started`, `copy_progress`, `table_copied`)
 *       another incarnation here (two nodes created it apart) ──► take the cluster's, keep this
 *           node's records whose keys it lacks (when the definitions agree)
 *       this node's copy entry null ──► drop the copy (delTableCopy); storage differs ──►
 *           ddl.changeStorage; definition differs ──► ddl.redefineTable
 *       in the catalog, gone from the doc ──► ddl.deleteTable (deleted elsewhere)
 *     start ──► reconcile: the doc takes whatever the tables hold that it does not (commits made
 *           while no tab replicated) and drops what they no longer hold
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import * as ddl from '../schema/ddl.js'
import { makeTableDef, storeName, type StorageType, type TableDef } from '../schema/table-def.js'
import { readStore } from '../storage/idb-table.js'
import type { Rec } from '../storage/record.js'
import { canonical, type Key } from '../storage/term.js'
import { WriteSet } from '../txn/write-set.js'
import { encodeRecords, keyString, parseKeyString } from './codec.js'
import type { ReplicationContext } from './context.js'
import { commitKeys } from './doc-commit.js'
import { clusterDef, copyKey, LOCAL, type ClusterDef } from './doc.js'
import { copyAbandoned } from './node-link.js'

/** Schema sync and table copying of one node. */
export class Loader {
  /** Tables whose local copy is being dropped (delTableCopy), not deleted everywhere. */
  private readonly droppingCopy = new Set<string>()

  constructor(private readonly ctx: ReplicationContext) {}

  /** True while this node drops its copy of `table` (the doc keeps the table). */
  isDroppingCopy(table: string): boolean {
    return this.droppingCopy.has(table)
  }

  /** Makes the local catalog follow the document's schema and copies maps. */
  async syncSchema(): Promise<void> {
    const { node, rdoc, self } = this.ctx
    const copyType = this.ctx.opts.copyType ?? 'disc_copies'
    const docNames = new Set<string>()
    for (const [name, cdef] of [...rdoc.schema.entries()]) {
      docNames.add(name)
      if (!validClusterDef(name, cdef)) continue
      const mine = rdoc.copies.get(copyKey(name, self))
      const rt = node.catalog.tables.get(name)
      if (rt?.def.localContent) continue
      if (rt && rt.def.cookie !== cdef.cookie) {
        // Two nodes created this table apart and the cluster chose the other incarnation: take
        // it, and keep this node's records whose keys it lacks (when the definitions agree).
        const keep = canonical(rt.def.attributes) === canonical(cdef.attributes) && rt.def.type === cdef.type ? await this.recordsOf(rt.def) : []
        await ddl.deleteTable(node, name)
        await this.adopt(cdef, mine ?? copyType)
        if (keep.length > 0) await this.mergeIn(name, keep)
        continue
      }
      if (!rt) {
        if (mine === null) continue
        await this.adopt(cdef, mine ?? copyType)
        continue
      }
      if (mine === null) {
        this.droppingCopy.add(name)
        try {
          await ddl.deleteTable(node, name)
        } finally {
          this.droppingCopy.delete(name)
        }
        continue
      }
      if (mine !== undefined && mine !== rt.def.storage) await ddl.changeStorage(node, name, mine)
      const cur = clusterDef(rt.def)
      if (canonical(cur) !== canonical(cdef)) await ddl.redefineTable(node, name, cdef)
    }
    // Tables deleted elsewhere: in the catalog and replicated, but no longer in the schema map.
    // (A copy entry of this node left without a definition, by a peer that deleted only some
    // entries, keeps no table: the schema is what the cluster has.)
    for (const rt of [...node.catalog.tables.values()]) {
      if (rt.def.localContent || docNames.has(rt.def.name)) continue
      await ddl.deleteTable(node, rt.def.name)
    }
  }

  /** Sets a node's copy of a table in the document (the node follows when it sees it). */
  async setCopy(table: string, node: string, storage: StorageType | null): Promise<void> {
    const rdoc = this.ctx.rdoc
    const cdef = rdoc.schema.get(table)
    if (!cdef) throw new WebnesiaError('no_exists', `${table}: not a replicated table`)
    rdoc.doc.transact(() => {
      rdoc.copies.set(copyKey(table, node), storage)
    }, LOCAL)
    if (node === this.ctx.self) {
      this.ctx.enqueue(() => this.syncSchema())
      await this.ctx.drain()
    }
  }

  private async recordsOf(def: TableDef): Promise<Rec[]> {
    const rt = this.ctx.node.catalog.get(def.name)
    const out: Rec[] = []
    if (rt.mem) {
      for (const s of rt.mem.slots()) out.push(...s.recs)
    } else {
      const tx = await this.ctx.node.backend.transaction([storeName(def)], 'readonly')
      await readStore(tx.store(storeName(def)), def, (_k, recs) => out.push(...recs))
    }
    return out
  }

  /** Writes records whose keys the table lacks, as this node's own commit (they replicate). */
  private async mergeIn(table: string, recs: readonly Rec[]): Promise<void> {
    const rt = this.ctx.node.catalog.get(table)
    const ws = new WriteSet()
    for (const r of recs) {
      const key = r[rt.def.attributes[0] as string] as Key
      if ((await rt.reader.read(key)).length === 0 || rt.def.type === 'bag') ws.add(table, key, { w: r })
    }
    if (ws.tables.size > 0) await this.ctx.committer.submit({ reads: null, writes: ws })
  }

  /** Adds a local copy of a table the document knows, and reads its records. */
  private async adopt(cdef: ClusterDef, storage: StorageType): Promise<void> {
    const node = this.ctx.node
    const def: TableDef = { ...cdef, storage, localContent: false, version: 1 }
    node.systemEvent({ type: 'copy_started', table: cdef.name })
    try {
      await this.copyIn(cdef, storage, def)
    } catch (e) {
      copyAbandoned(node, cdef.name)
      throw e
    }
    node.systemEvent({ type: 'table_copied', table: cdef.name, node: this.ctx.self })
  }

  private async copyIn(cdef: ClusterDef, storage: StorageType, def: TableDef): Promise<void> {
    const { node, rdoc, self } = this.ctx
    await ddl.adoptTable(node, def)
    if (rdoc.copies.get(copyKey(cdef.name, self)) !== storage) {
      rdoc.doc.transact(() => {
        rdoc.copies.set(copyKey(cdef.name, self), storage)
      }, LOCAL)
    }
    const map = rdoc.table(cdef.cookie)
    const all = [...map.keys()]
    const batch = this.ctx.opts.copyBatch ?? 5000
    // The batches are durable in the log when committed; the dump into the store waits for the
    // copy's end (or housekeeping) instead of rewriting every record midway (issue 20, REPL).
    const release = node.dumps.holdThreshold()
    try {
      await this.copyBatches(cdef, all, batch)
    } finally {
      release()
    }
  }

  private async copyBatches(cdef: ClusterDef, all: readonly string[], batch: number): Promise<void> {
    const node = this.ctx.node
    for (let i = 0; i < all.length; i += batch) {
      const keys: Key[] = []
      for (const k of all.slice(i, i + batch)) {
        try {
          keys.push(parseKeyString(k))
        } catch (e) {
          node.reportError(e)
        }
      }
      const bad = await commitKeys(this.ctx, 'copy', new Map([[cdef.name, keys]]))
      if (bad > 0) node.reportError(new WebnesiaError('bad_update', `${cdef.name}: ${String(bad)} invalid records were not copied`))
      node.systemEvent({ type: 'copy_progress', table: cdef.name, done: Math.min(i + batch, all.length), total: all.length })
    }
  }

  /**
   * Pushes into the document whatever the tables hold that it does not (commits made while no
   * tab replicated), and drops what the tables no longer hold.
   */
  async reconcile(): Promise<void> {
    const { node, rdoc, self } = this.ctx
    const contents: { def: TableDef; slots: Map<string, readonly Rec[]> }[] = []
    for (const rt of node.catalog.tables.values()) {
      if (rt.def.localContent) continue
      const slots = new Map<string, readonly Rec[]>()
      if (rt.mem) {
        for (const s of rt.mem.slots()) slots.set(keyString(s.key), s.recs)
      } else {
        const tx = await node.backend.transaction([storeName(rt.def)], 'readonly')
        await readStore(tx.store(storeName(rt.def)), rt.def, (key, recs) => slots.set(keyString(key), recs))
      }
      contents.push({ def: rt.def, slots })
    }
    rdoc.doc.transact(() => {
      for (const { def, slots } of contents) {
        const cdef = clusterDef(def)
        const cur = rdoc.schema.get(def.name)
        if (!cur || canonical(cur) !== canonical(cdef)) rdoc.schema.set(def.name, cdef)
        if (rdoc.copies.get(copyKey(def.name, self)) !== def.storage) rdoc.copies.set(copyKey(def.name, self), def.storage)
        const map = rdoc.table(def.cookie)
        for (const [k, recs] of slots) {
          const v = map.get(k)
          if (v === undefined || canonical(v) !== canonical(encodeRecords(recs))) rdoc.setKey(def.cookie, recsKey(def, recs), recs)
        }
        for (const k of [...map.keys()]) if (!slots.has(k)) map.delete(k)
      }
      // Tables this node held a copy of and deleted while nobody replicated.
      for (const [name, cdef] of [...rdoc.schema.entries()]) {
        const mine = rdoc.copies.get(copyKey(name, self))
        if (mine && !node.catalog.tables.has(name)) {
          rdoc.schema.delete(name)
          rdoc.copies.delete(copyKey(name, self))
          for (const k of [...rdoc.table(cdef.cookie).keys()]) rdoc.table(cdef.cookie).delete(k)
        }
      }
    }, LOCAL)
  }
}

function recsKey(def: TableDef, recs: readonly Rec[]): Key {
  return (recs[0] as Rec)[def.attributes[0] as string] as Key
}

/** True when `d` is a definition the schema sync takes for table `name`. */
export function validClusterDef(name: string, d: unknown): d is ClusterDef {
  if (typeof d !== 'object' || d === null) return false
  const c = d as Partial<ClusterDef>
  if (c.name !== name || typeof c.cookie !== 'string' || !Array.isArray(c.masterNodes)) return false
  try {
    makeTableDef(name, c as ClusterDef, c.cookie)
    return true
  } catch {
    return false
  }
}
