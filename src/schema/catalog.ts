/**
 * The catalog: this tab's view of the node's schema, and where each table's copies live
 * (Mnesia's mnesia_schema + mnesia_controller, for one node).
 *
 * A {@link TableRuntime} holds the definition, the memory copy (ram_copies, disc_copies), the
 * IndexedDB copy (disc_copies, disc_only_copies) and the table's version: the LSN of the last
 * commit that touched it. Schema log entries are applied here, in every tab, in LSN order.
 *
 * @module
 */
import { NoSuchTableError, safeString } from '../errors.js'
import type { StorageBackend } from '../backend/backend.js'
import { IdbTable } from '../storage/idb-table.js'
import { MemoryTable } from '../storage/memory-table.js'
import type { TableReader } from '../storage/reader.js'
import { inMemory, onDisc, type TableDef } from './table-def.js'

/** A table as this tab holds it. */
export class TableRuntime {
  def: TableDef
  mem: MemoryTable | null
  disc: IdbTable | null
  /** LSN of the last commit that touched the table. */
  version: number
  /** Log entries up to this LSN are already reflected in the loaded copy. */
  loadedAt: number
  /** Record count of a disc_only copy (kept from the log; memory copies count themselves). */
  discCount = 0
  /**
   * About how many deltas the image of a disc_copies table holds (storage/disc-image.ts): read at
   * load, counted by this tab's dumps, zero after a snapshot. Only decides when to rewrite it.
   */
  imageDeltas = 0

  constructor(def: TableDef, backend: StorageBackend, lsn: number) {
    this.def = def
    this.mem = inMemory(def) ? new MemoryTable(def) : null
    this.disc = onDisc(def) ? new IdbTable(def, backend) : null
    this.version = lsn
    this.loadedAt = lsn
  }

  /** Where reads go: memory when there is a memory copy, else IndexedDB. */
  get reader(): TableReader {
    return (this.mem ?? this.disc) as TableReader
  }

  /** Number of records. */
  get size(): number {
    return this.mem ? this.mem.size : this.discCount
  }

  /** Applies a changed definition (indexes, masters) without touching the records. */
  redefine(def: TableDef): void {
    const old = this.def
    this.def = def
    if (this.mem) {
      for (const a of old.index) if (!def.index.includes(a)) this.mem.delIndex(a)
      for (const a of def.index) if (!old.index.includes(a)) this.mem.addIndex(a)
      ;(this.mem as { def: TableDef }).def = def
    }
    if (this.disc) (this.disc as { def: TableDef }).def = def
  }
}

/** Every table this tab knows. */
export class Catalog {
  readonly tables = new Map<string, TableRuntime>()

  constructor(private readonly backend: StorageBackend) {}

  /** The table, or a {@link NoSuchTableError}. */
  get(name: string): TableRuntime {
    const t = this.tables.get(name)
    if (!t) throw new NoSuchTableError(typeof name === 'string' ? name : safeString(name))
    return t
  }
  has(name: string): boolean {
    return this.tables.has(name)
  }
  add(def: TableDef, lsn: number): TableRuntime {
    const rt = new TableRuntime(def, this.backend, lsn)
    this.tables.set(def.name, rt)
    return rt
  }
  remove(name: string): void {
    this.tables.delete(name)
  }
  /** A new, empty catalog over the same storage. */
  empty(): Catalog {
    return new Catalog(this.backend)
  }
  defs(): TableDef[] {
    return [...this.tables.values()].map((t) => t.def)
  }
}
