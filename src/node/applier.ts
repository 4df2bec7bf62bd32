/**
 * The applier (Mnesia's mnesia_loader, and the apply half of mnesia_tm): loads the node into this
 * tab's memory, applies log entries, and catches up with the entries other tabs committed.
 *
 * State machine of a tab's copy of the node:
 *
 *     open ──► load (one transaction: dumps the log into the disc_copies stores, reads meta,
 *                    schema and those stores' images, storage/disc-image.ts; registers the tab)
 *          ──► running: applied = LSN of the last entry reflected in memory
 *                 ▲  catch-up: read log entries > applied, apply in order
 *                 │  gap (entries truncated while this tab was frozen) ──► reload
 *
 * Every change, local or not, enters memory through {@link Applier.applyEntry}, in LSN order,
 * exactly once (entries at or below `applied` are skipped, so a commit seen both by its own tab's
 * completion and by a catch-up is applied once). After the memory copies (and their indexes,
 * storage/memory-table.ts `TableHook`) the entry goes to the hooks (node/hooks.ts: dump
 * bookkeeping, events, replication), then to those waiting for its LSN.
 *
 * @module
 */
import type { StorageBackend } from '../backend/backend.js'
import { fire } from '../backend/requests.js'
import { assert, mapStorageError } from '../errors.js'
import type { Origin } from '../events/subscriptions.js'
import { LOG, META, SCHEMA, TABS } from '../log/connection.js'
import { dumpLog } from '../log/dumper.js'
import { readLog, type LogEntry } from '../log/entry.js'
import { currentLsn } from '../log/format.js'
import { type Catalog } from '../schema/catalog.js'
import { storeName, type TableDef } from '../schema/table-def.js'
import { readImage } from '../storage/disc-image.js'
import { adoptRecord, type Intent, type Rec } from '../storage/record.js'
import { newId } from '../util/ids.js'
import type { NodeHooks } from './hooks.js'

/** Thrown inside a catch-up when entries this tab needs were truncated: it must reload. */
export class GapError extends Error {}

/** This tab's copy of the node: what it has applied, and how entries get there. */
export class Applier {
  nodeId = ''
  /** LSN of the last entry applied to this tab's memory. */
  applied = 0
  /** Highest LSN this tab knows was committed (applied here, or announced by another tab). */
  known = 0
  /** Bumped on every applied entry: transactions revalidate their reads when it moved. */
  epoch = 0
  /** Commit ids of this tab's commits in flight: 'local' even if a catch-up applies them first. */
  readonly localCids = new Set<string>()
  private catching: Promise<void> | null = null
  private catchAgain = false
  private readonly waiters: { lsn: number; resolve: () => void }[] = []

  constructor(
    private readonly backend: StorageBackend,
    readonly catalog: Catalog,
    private readonly hooks: NodeHooks,
    readonly tab: string,
    /** Brings the tab back after a gap (a full reload: node.ts). */
    private readonly onGap: () => Promise<void>,
    private readonly isClosed: () => boolean,
  ) {}

  /**
   * Loads schema and disc_copies tables in one transaction (a consistent snapshot at LSN `lsn`),
   * and registers the tab in `tabs` in the same transaction so the log is not truncated under it.
   * `first`: the tab's first load (else the ram_copies tables of the same incarnation are kept).
   */
  async load(nodeOpt: string | undefined, first: boolean): Promise<void> {
    const stores = await this.backend.storeNames()
    const tx = await this.backend.transaction(stores, 'readwrite', 'relaxed')
    let node = (await tx.store(META).get('node')) as string | undefined
    if (node === undefined) {
      node = nodeOpt ?? newId('node-')
      fire(tx.store(META).put(node, 'node'))
    }
    const lsn = await currentLsn(tx)
    // The stores must hold every commit before they are read: dump the log into them first.
    await dumpLog(tx)
    const defs = (await tx.store(SCHEMA).getAll()) as TableDef[]
    fire(tx.store(TABS).put({ applied: lsn, at: Date.now() }, this.tab))
    const counts = new Map<string, number>()
    for (const def of defs) {
      if (def.storage === 'disc_only_copies') counts.set(def.name, await tx.store(storeName(def)).count())
    }
    const keepRam = first ? null : this.catalog
    const fresh = this.catalog.empty()
    for (const def of defs) {
      const rt = fresh.add(def, lsn)
      rt.discCount = counts.get(def.name) ?? 0
      const old = keepRam?.tables.get(def.name)
      if (def.storage === 'ram_copies' && old?.mem && old.def.cookie === def.cookie) {
        for (const s of old.mem.slots()) rt.mem?.apply({ key: s.key, old: [], recs: s.recs }, s.v)
      }
    }
    // The disc_copies tables, read in chunks and built into memory while the backend reads on.
    const reads: Promise<void>[] = []
    for (const def of defs) {
      const rt = fresh.get(def.name)
      const mem = def.storage === 'disc_copies' ? rt.mem : null
      if (!mem) continue
      reads.push(
        readImage(tx.store(storeName(def)), def, (key, recs) => {
          mem.apply({ key, old: [], recs }, 0)
        }).then((deltas) => {
          mem.version = lsn
          rt.imageDeltas = deltas
        }),
      )
    }
    await Promise.all(reads)
    await tx.done
    this.nodeId = node
    this.catalog.tables.clear()
    for (const [k, v] of fresh.tables) this.catalog.tables.set(k, v)
    this.applied = lsn
    if (lsn > this.known) this.known = lsn
    this.epoch++
    this.hooks.runLoaded(lsn) // the load dumped the log up to here
  }

  /** Notes that another tab committed `lsn`. */
  noteKnown(lsn: number): void {
    if (lsn > this.known) this.known = lsn
  }

  /** Reads the log entries this tab has not applied and applies them (coalescing concurrent calls). */
  catchUp(): Promise<void> {
    if (this.catching) {
      this.catchAgain = true
      return this.catching
    }
    this.catching = (async () => {
      do {
        this.catchAgain = false
        const tx = await this.backend.transaction([LOG], 'readonly')
        const entries = await readLog(tx.store(LOG), this.applied)
        const last = entries[entries.length - 1]
        if (!last) continue
        try {
          this.applyEntries(entries, last.lsn, 'tab')
        } catch (e) {
          if (!(e instanceof GapError)) throw e
          await this.onGap()
        }
      } while (this.catchAgain && !this.isClosed())
    })()
      .catch((e: unknown) => {
        throw e instanceof DOMException ? mapStorageError(e) : e
      })
      .finally(() => {
        this.catching = null
      })
    return this.catching
  }

  /**
   * Applies entries another tab announced with its commit (durable: it posts them once its
   * transaction completed), when they follow on from what this tab applied. False when they do
   * not (this tab missed an announcement, or they came out of order): the caller catches up.
   */
  applyAnnounced(entries: readonly LogEntry[]): boolean {
    const first = entries[0]
    const last = entries[entries.length - 1]
    if (!first || !last || first.lsn > this.applied + 1 || this.isClosed()) return false
    try {
      this.applyEntries(entries, last.lsn, 'tab')
      return true
    } catch {
      return false
    }
  }

  /** Schedules a catch-up (coalescing concurrent requests). */
  requestCatchUp(): void {
    if (this.isClosed()) return
    if (this.catching) {
      this.catchAgain = true
      return
    }
    void this.catchUp().catch(() => undefined)
  }

  /**
   * Applies entries read from the log (in LSN order, up to `upTo`); throws {@link GapError} when
   * the first needed entry is missing.
   */
  applyEntries(entries: readonly LogEntry[], upTo: number, origin: Origin): void {
    for (const e of entries) {
      if (e.lsn <= this.applied) continue
      if (e.lsn !== this.applied + 1) throw new GapError(`log gap at ${String(this.applied + 1)}`)
      this.applyEntry(adoptEntry(e), e.peer !== undefined ? 'peer' : this.localCids.has(e.cid) ? 'local' : origin)
    }
    if (this.applied < upTo) throw new GapError(`log ends at ${String(this.applied)}, expected ${String(upTo)}`)
  }

  /** Applies one entry to memory, then to the hooks. Idempotent by LSN. */
  applyEntry(entry: LogEntry, origin: Origin): void {
    if (entry.lsn <= this.applied) return
    assert(entry.lsn === this.applied + 1, `entry ${String(entry.lsn)} applied after ${String(this.applied)}`)
    const lsn = entry.lsn
    for (const op of entry.ops) {
      if (op.k === 'schema') {
        if (op.op === 'create') {
          this.catalog.add(op.def, lsn)
        } else if (op.op === 'delete') {
          this.catalog.remove(op.def.name)
        } else {
          const rt = this.catalog.tables.get(op.def.name)
          if (rt && rt.def.storage !== op.def.storage) {
            // A new storage type: a fresh copy, filled by the entry's following ops.
            this.catalog.add(op.def, lsn).loadedAt = lsn - 1
          } else if (rt) {
            rt.redefine(op.def)
            rt.version = lsn
          }
        }
        continue
      }
      const rt = this.catalog.tables.get(op.t)
      if (!rt || rt.loadedAt >= lsn) continue
      rt.version = lsn
      if (op.k === 'clear') {
        rt.mem?.clear(lsn)
        rt.discCount = 0
      } else {
        rt.mem?.apply(op, lsn)
        rt.discCount += op.recs.length - op.old.length
      }
    }
    this.applied = lsn
    if (lsn > this.known) this.known = lsn
    this.epoch++
    this.hooks.runApplied(entry, origin)
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i] as { lsn: number; resolve: () => void }
      if (w.lsn <= lsn) {
        this.waiters.splice(i, 1)
        w.resolve()
      }
    }
  }

  /** Resolves once this tab has applied `lsn`. */
  waitApplied(lsn: number): Promise<void> {
    if (this.applied >= lsn) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ lsn, resolve }))
  }
}

/** An entry read back from the log holds plain structured clones: freeze its records before use. */
function adoptEntry(e: LogEntry): LogEntry {
  const adopt = (rs: readonly Rec[]): Rec[] => rs.map((r) => adoptRecord(r as Record<string, unknown>))
  const ops = e.ops.map((op) => {
    if (op.k !== 'put') return op
    const i = op.i?.map((x): Intent => ('w' in x ? { w: adoptRecord(x.w) } : 'o' in x ? { o: adoptRecord(x.o) } : x))
    return i ? { ...op, old: adopt(op.old), recs: adopt(op.recs), i } : { ...op, old: adopt(op.old), recs: adopt(op.recs) }
  })
  return { ...e, ops }
}
