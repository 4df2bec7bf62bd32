/**
 * When this tab dumps the log (the schedule around log/dumper.ts, which does the writing), and
 * what it dumps: the entries it applied that write disc_copies tables and may not be in the stores
 * yet. Fed by the applier's hooks (node/hooks.ts): every applied entry, and every (re)load.
 *
 * A tab dumps once its own commits wrote {@link DUMP_THRESHOLD} disc_copies keys since the last
 * dump (in a task of its own, after the commit that crossed it), in housekeeping
 * (node/housekeeping.ts), when it closes, and on `db.dumpLog()`. One dump at a time per tab.
 *
 * @module
 */
import type { StorageBackend } from '../backend/backend.js'
import { DatabaseClosedError, mapStorageError } from '../errors.js'
import type { Subscriptions } from '../events/subscriptions.js'
import { META } from '../log/connection.js'
import { applyDump, discWrites, DUMP_THRESHOLD, planStores, type DumpPlan } from '../log/dumper.js'
import type { LogEntry } from '../log/entry.js'
import type { Catalog } from '../schema/catalog.js'
import { storeName, type TableDef } from '../schema/table-def.js'
import { compactionDue } from '../storage/disc-image.js'
import type { Rec } from '../storage/record.js'
import type { Applier } from './applier.js'

/** This tab's dump bookkeeping and schedule. */
export class DumpSchedule {
  /** disc_copies keys this tab's own commits wrote since its last dump. */
  private undumped = 0
  /**
   * The entries applied here that write disc_copies tables and may not be in the stores yet:
   * every one after `pendingFrom` (at or below `meta.dumped`: this tab's load, the last schema
   * change, or the last dump it knows of). A background dump writes them from here.
   */
  private pending: LogEntry[] = []
  private pendingFrom = 0
  /** The dump running now (tests look at it). */
  dumping: Promise<number> | null = null
  private soon: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly backend: StorageBackend,
    private readonly catalog: Catalog,
    private readonly applier: Applier,
    private readonly subs: Subscriptions,
    private readonly isClosed: () => boolean,
  ) {}

  /** Hook: the tab (re)loaded at `lsn`, after dumping the log up to it. */
  loaded(lsn: number): void {
    this.pending = []
    this.pendingFrom = lsn
  }

  /** Hook: an entry was applied. */
  applied(entry: LogEntry): void {
    if (entry.ops.some((op) => op.k === 'schema')) {
      // A schema change dumped every entry before it, and holds itself in the stores (a table it
      // rewrote, with a `clear`, has a fresh snapshot).
      this.pending = []
      this.pendingFrom = entry.lsn
      for (const op of entry.ops) {
        const rt = op.k === 'clear' ? this.catalog.tables.get(op.t) : undefined
        if (rt) rt.imageDeltas = 0
      }
      return
    }
    const n = discWrites(entry, (t) => this.catalog.tables.get(t)?.def.storage === 'disc_copies')
    if (n > 0) {
      this.pending.push(entry)
      if (this.applier.localCids.has(entry.cid)) this.undumped += n
    }
  }

  /**
   * True when this tab's own commits wrote keys no dump has taken yet, a dump runs, or a table's
   * image is due a new snapshot (a closing tab leaves the next load a compact image).
   */
  get owed(): boolean {
    return this.undumped > 0 || this.dumping !== null || this.compactionsDue(deltaWrites(this.pending)).length > 0
  }

  /**
   * After this tab's commit: once its own commits wrote {@link DUMP_THRESHOLD} disc_copies keys
   * since the last dump, starts one (the log, and the next tab's load, stay short under a steady
   * load).
   */
  dumpIfDue(): void {
    if (this.undumped < DUMP_THRESHOLD || this.dumping || this.soon || this.holds > 0) return
    // In a task of its own: the code waiting for this commit goes on (and commits again) first,
    // and the dump's writes are issued while the backend works on that.
    this.soon = setTimeout(() => {
      this.soon = null
      void this.dump().catch((e: unknown) => {
        this.failed(e)
      })
    }, 0)
  }

  private holds = 0

  /**
   * Holds the threshold's dumps until the returned function is called (a table copy: its batches
   * are durable in the log; dumping each into the store midway would write every record twice
   * inside the copy). Housekeeping, `dumpLog`, loads and closes still dump.
   */
  holdThreshold(): () => void {
    this.holds++
    let released = false
    return () => {
      if (released) return
      released = true
      this.holds--
      this.dumpIfDue()
    }
  }

  /** Cancels a dump scheduled by the threshold (closing). */
  cancel(): void {
    if (this.soon) clearTimeout(this.soon)
    this.soon = null
  }

  /**
   * A background dump failed (the disc is full, say): the commits stay in the log, and the next
   * dump tries again. Told to this tab's system subscribers.
   */
  failed(e: unknown): void {
    if (this.isClosed()) return
    const err = mapStorageError(e)
    this.subs.emitSystem({ type: 'dump_failed', code: err.code, message: err.message })
  }

  /**
   * Dumps into the disc_copies stores (log/dumper.ts) every entry this tab has applied, whichever
   * tab committed it, from memory: the transaction covers `meta` and the stores written, never
   * the log, so commits go on meanwhile. Resolves with the LSN the stores reflect. A dump asked
   * for while one runs runs after it.
   */
  dump(): Promise<number> {
    const run = async (): Promise<number> => {
      this.undumped = 0
      const upTo = this.applier.applied
      const entries = this.pending.slice()
      const writes = deltaWrites(entries)
      const due = this.compactionsDue(writes)
      if (upTo <= this.pendingFrom && due.length === 0) return this.pendingFrom
      const defs = new Map<string, TableDef>()
      for (const rt of this.catalog.tables.values()) if (rt.def.storage === 'disc_copies') defs.set(rt.def.name, rt.def)
      let compacted: ReadonlySet<string> = new Set()
      const compact = (): ReadonlyMap<string, Iterable<{ readonly recs: readonly Rec[] }>> => {
        const out = new Map<string, Iterable<{ readonly recs: readonly Rec[] }>>()
        // The snapshot is this tab's memory, which must be at `upTo` (else the next dump does it).
        if (this.applier.applied !== upTo) return out
        for (const t of due) {
          const mem = this.catalog.tables.get(t)?.mem
          if (mem && defs.has(t)) out.set(t, mem.slots())
        }
        compacted = new Set(out.keys())
        return out
      }
      const plan: DumpPlan = { from: this.pendingFrom, upTo, entries, defs, ...(due.length > 0 ? { compact } : {}) }
      const stores = new Set([META, ...planStores(plan), ...due.map((t) => storeName({ name: t }))])
      const tx = await this.backend.transaction([...stores], 'readwrite', 'strict')
      const dumped = await applyDump(tx, plan)
      await tx.done
      for (const [t, n] of writes) {
        const rt = this.catalog.tables.get(t)
        if (rt) rt.imageDeltas = compacted.has(t) ? 0 : rt.imageDeltas + n
      }
      for (const t of compacted) {
        const rt = this.catalog.tables.get(t)
        if (rt) rt.imageDeltas = 0
      }
      this.dumpedTo(dumped)
      return dumped
    }
    const p = (this.dumping ?? Promise.resolve(0))
      .catch(() => 0)
      .then(run)
      .catch((e: unknown) => {
        throw this.isClosed() ? new DatabaseClosedError() : mapStorageError(e)
      })
    const tracked = p.finally(() => {
      if (this.dumping === tracked) this.dumping = null
    })
    tracked.catch(() => undefined) // the caller of dump() handles the failure
    this.dumping = tracked
    return p
  }

  /**
   * The disc_copies tables whose image is due a new snapshot (storage/disc-image.ts) once this
   * dump's `writes` are in: rewritten from memory in the dump's transaction.
   */
  private compactionsDue(writes: ReadonlyMap<string, number>): string[] {
    const out: string[] = []
    for (const rt of this.catalog.tables.values()) {
      if (rt.def.storage !== 'disc_copies' || !rt.mem) continue
      if (compactionDue(rt.imageDeltas + (writes.get(rt.def.name) ?? 0), rt.mem.size)) out.push(rt.def.name)
    }
    return out
  }

  /** The stores reflect every entry up to `dumped`: this tab need not keep them for a dump. */
  dumpedTo(dumped: number): void {
    if (dumped <= this.pendingFrom) return
    this.pendingFrom = dumped
    let i = 0
    while (i < this.pending.length && (this.pending[i] as LogEntry).lsn <= dumped) i++
    if (i > 0) this.pending = this.pending.slice(i)
  }
}

/** Per table, the deltas a dump of `entries` writes (at most: one per key op). */
function deltaWrites(entries: readonly LogEntry[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const e of entries) for (const op of e.ops) if (op.k === 'put') out.set(op.t, (out.get(op.t) ?? 0) + 1)
  return out
}
