/**
 * The local node as one tab runs it: loading, applying the commit log, catching up with the other
 * tabs, and the ram_copies snapshots that bring a late tab up to date.
 *
 * State machine of a tab's copy of the node:
 *
 *     open ──► load (one IDB transaction: dumps the log into the disc_copies stores, reads meta,
 *                    schema and those stores; registers the tab)
 *          ──► ram snapshot from a live tab (if any ram_copies table)
 *          ──► running: applied = LSN of the last entry reflected in memory
 *                 ▲  catch-up: read log entries > applied, apply in order
 *                 │  gap (entries truncated while this tab was frozen) ──► reload
 *
 * Every change, local or not, enters memory through {@link LocalNode.applyEntry}, in LSN order,
 * exactly once (entries at or below `applied` are skipped, so a commit seen both by its own tab's
 * completion and by a catch-up is applied once).
 *
 * @module
 */
import { DatabaseClosedError, WebnesiaError, assert, mapStorageError } from './errors.js'
import { Catalog } from './schema/catalog.js'
import { storeName } from './schema/table-def.js'
import { unwrap, type IDBPTransaction } from 'idb'
import { fire, Connection, FORMAT, LOG, META, SCHEMA, TABS } from './log/connection.js'
import { applyDump, discWrites, DUMP_THRESHOLD, DUMPED, dumpedLsn, dumpLog, planStores, type DumpPlan } from './log/dumper.js'
import { lastLogLsn, logKey, newId, readLog, type LogEntry, type LogRecord } from './log/entry.js'
import { TabLink, type TabMessage, type TableSnapshot } from './log/tabs.js'
import { readStore } from './storage/idb-table.js'
import { adoptRecord, type Intent, type Rec } from './storage/record.js'
import type { Key } from './storage/term.js'
import { Subscriptions, type Origin, type SystemEvent } from './events/subscriptions.js'
import type { StorageType, TableDef } from './schema/table-def.js'

/** How long the `tabs` record of a tab that holds no Web Lock (closed, crashed, or not yet registered) counts. */
const TAB_LEASE_MS = 30_000
/** How often a tab reports its applied LSN and truncates the log. */
const HOUSEKEEPING_MS = 2_000
/** How long a late tab waits for a ram_copies snapshot from a live tab. */
const SNAPSHOT_WAIT_MS = 5_000

/** Thrown inside a catch-up when entries this tab needs were truncated: it must reload. */
export class GapError extends Error {}

/** One tab's runtime of the node. */
export class LocalNode {
  readonly conn: Connection
  readonly catalog: Catalog
  readonly subs = new Subscriptions()
  readonly tab = newId('tab-')
  nodeId = ''
  /** LSN of the last entry applied to this tab's memory. */
  applied = 0
  /** Highest LSN this tab knows was committed (applied here, or announced by another tab). */
  known = 0
  /** Bumped on every applied entry: transactions revalidate their reads when it moved. */
  epoch = 0
  /** disc_copies keys this tab's own commits wrote since its last dump. */
  private undumped = 0
  /**
   * The entries applied here that write disc_copies tables and may not be in the stores yet:
   * every one after `pendingFrom` (at or below `meta.dumped`: this tab's load, the last schema
   * change, or the last dump it knows of). A background dump writes them from here.
   */
  private pending: LogEntry[] = []
  private pendingFrom = 0
  private dumping: Promise<number> | null = null
  closed = false
  private link: TabLink | null = null
  private catching: Promise<void> | null = null
  private catchAgain = false
  private timer: ReturnType<typeof setInterval> | null = null
  private reportedApplied = -1
  private readonly snapshotWaiters = new Map<string, (m: Extract<TabMessage, { t: 'snap' }>) => void>()
  private readonly appliedWaiters: { lsn: number; resolve: () => void }[] = []
  /** Commit ids of this tab's commits in flight: 'local' even if a catch-up applies them first. */
  readonly localCids = new Set<string>()
  /** Called after each applied entry, in LSN order (replication follows the log through it). */
  onApplied: ((entry: LogEntry, origin: Origin) => void) | null = null
  /** Set while replication runs in this tab: waits until connected peers hold a commit. */
  replicated: ((lsn: number) => Promise<string[]>) | null = null
  /** Set while replication runs in this tab: the peers connected now. */
  peers: (() => string[]) | null = null
  /** The tab running replication for the node, as far as this tab knows. */
  leaderTab: string | null = null
  /** When that tab last said it lives (ms). */
  lastLeaderBeat = 0
  /** Set while replication runs in this tab: the nodes holding copies of a table, by storage type. */
  copiesOf: ((table: string) => Map<string, StorageType>) | null = null
  private readonly syncWaiters = new Map<string, (unreached: string[]) => void>()

  constructor(readonly name: string) {
    this.conn = new Connection(name)
    this.catalog = new Catalog(this.conn)
    this.conn.onVersionChange = () => {
      this.requestCatchUp()
    }
  }

  /** Opens the node in this tab. */
  async open(nodeOpt: string | undefined): Promise<void> {
    await this.load(nodeOpt, true)
    this.link = new TabLink(this.name, this.tab, (m) => {
      this.onMessage(m)
    })
    await this.link.register()
    this.link.post({ t: 'who-leads' })
    if ([...this.catalog.tables.values()].some((t) => t.def.storage === 'ram_copies')) await this.fetchRamSnapshot()
    await this.catchUp()
    this.timer = setInterval(() => {
      void this.housekeeping().catch(() => undefined)
    }, HOUSEKEEPING_MS)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /**
   * Loads schema and disc_copies tables in one transaction (a consistent snapshot at LSN `lsn`),
   * and registers the tab in `tabs` in the same transaction so the log is not truncated under it.
   */
  private async load(nodeOpt: string | undefined, first: boolean): Promise<void> {
    const db = await this.conn.get()
    const stores = [...db.objectStoreNames]
    const tx = db.transaction(stores, 'readwrite', { durability: 'relaxed' })
    let node = (await tx.objectStore(META).get('node')) as string | undefined
    if (node === undefined) {
      node = nodeOpt ?? newId('node-')
      fire(tx.objectStore(META).put(node, 'node'))
    }
    const lsn = await currentLsn(tx)
    // The stores must hold every commit before they are read: dump the log into them first.
    await dumpLog(tx)
    const defs = (await tx.objectStore(SCHEMA).getAll()) as TableDef[]
    fire(tx.objectStore(TABS).put({ applied: lsn, at: Date.now() }, this.tab))
    const counts = new Map<string, number>()
    for (const def of defs) {
      if (def.storage === 'disc_only_copies') counts.set(def.name, await tx.objectStore(storeName(def)).count())
    }
    const keepRam = first ? null : this.catalog
    const fresh = new Catalog(this.conn)
    for (const def of defs) {
      const rt = fresh.add(def, lsn)
      rt.discCount = counts.get(def.name) ?? 0
      const old = keepRam?.tables.get(def.name)
      if (def.storage === 'ram_copies' && old?.mem && old.def.cookie === def.cookie) {
        for (const s of old.mem.slots()) rt.mem?.apply({ key: s.key, old: [], recs: s.recs }, s.v)
      }
    }
    // The disc_copies tables, read in chunks and built into memory while IndexedDB reads on.
    const reads: Promise<void>[] = []
    for (const def of defs) {
      const mem = def.storage === 'disc_copies' ? fresh.get(def.name).mem : null
      if (!mem) continue
      reads.push(
        readStore(unwrap(tx.objectStore(storeName(def))), def, (key, recs) => {
          mem.apply({ key, old: [], recs }, 0)
        }).then(() => {
          mem.version = lsn
        }),
      )
    }
    await Promise.all(reads)
    await tx.done
    this.nodeId = node
    this.catalog.tables.clear()
    for (const [k, v] of fresh.tables) this.catalog.tables.set(k, v)
    this.applied = lsn
    this.pending = []
    this.pendingFrom = lsn // the load dumped the log up to here
    if (lsn > this.known) this.known = lsn
    this.epoch++
  }

  /** Asks a live tab for the ram_copies tables' content (a late tab has nothing else to get them from). */
  private async fetchRamSnapshot(): Promise<void> {
    const link = this.link
    if (!link) return
    const others = await link.others()
    if (others.length === 0) return
    const id = newId('snap-')
    const snap = await new Promise<Extract<TabMessage, { t: 'snap' }> | null>((resolve) => {
      const timer = setTimeout(() => {
        this.snapshotWaiters.delete(id)
        resolve(null)
      }, SNAPSHOT_WAIT_MS)
      this.snapshotWaiters.set(id, (m) => {
        clearTimeout(timer)
        this.snapshotWaiters.delete(id)
        resolve(m)
      })
      link.post({ t: 'snap-req', from: this.tab, id })
    })
    if (!snap) return
    for (const ts of snap.tables) {
      const rt = this.catalog.tables.get(ts.name)
      if (!rt?.mem || rt.def.cookie !== ts.cookie || rt.def.storage !== 'ram_copies') continue
      rt.mem.clear(0)
      for (const [key, recs] of ts.slots) rt.mem.apply({ key, old: [], recs: recs.map((r) => adoptRecord(r as Record<string, unknown>)) }, 0)
      rt.loadedAt = snap.lsn
      rt.version = Math.max(rt.version, snap.lsn)
    }
  }

  private snapshot(): TableSnapshot[] {
    const out: TableSnapshot[] = []
    for (const rt of this.catalog.tables.values()) {
      if (rt.def.storage !== 'ram_copies' || !rt.mem) continue
      const slots: [Key, Rec[]][] = []
      for (const s of rt.mem.slots()) slots.push([s.key, [...s.recs]])
      out.push({ name: rt.def.name, cookie: rt.def.cookie, slots })
    }
    return out
  }

  private onMessage(m: TabMessage): void {
    switch (m.t) {
      case 'lsn':
        if (m.lsn > this.known) this.known = m.lsn
        if (m.lsn > this.applied) this.requestCatchUp()
        break
      case 'snap-req':
        // Answer with this tab's state; entries after `applied` reach the new tab through the log.
        this.link?.post({ t: 'snap', to: m.from, id: m.id, lsn: this.applied, tables: this.snapshot() })
        break
      case 'snap':
        if (m.to === this.tab) this.snapshotWaiters.get(m.id)?.(m)
        break
      case 'bye':
      case 'here':
        break
      case 'hi':
        // A tab opening: tell it where the log is (it may have loaded before our last commit).
        this.link?.post({ t: 'lsn', lsn: this.applied, from: this.tab })
        break
      case 'sys':
        this.noteCopy(m.ev)
        this.subs.emitSystem(m.ev)
        break
      case 'leader':
        this.leaderTab = m.tab
        this.lastLeaderBeat = Date.now()
        break
      case 'who-leads':
        if (this.replicated) this.link?.post({ t: 'leader', tab: this.tab })
        break
      case 'sync-req':
        if (this.replicated) {
          void this.replicated(m.lsn).then((unreached) => this.link?.post({ t: 'sync-res', to: m.from, id: m.id, unreached }))
        }
        break
      case 'sync-res':
        if (m.to === this.tab) this.syncWaiters.get(m.id)?.(m.unreached)
        break
    }
  }

  /** Emits a system event in this tab and in every other tab of the node. */
  systemEvent(ev: SystemEvent): void {
    this.noteCopy(ev)
    this.subs.emitSystem(ev)
    this.link?.post({ t: 'sys', ev })
  }

  /** Tables whose records are being copied from a peer (`waitForTables` waits for them). */
  readonly copying = new Set<string>()

  private noteCopy(ev: SystemEvent): void {
    if (ev.type === 'copy_started') this.copying.add(ev.table)
    else if (ev.type === 'table_copied') this.copying.delete(ev.table)
  }

  /** Reports an error of a background activity (replication) as a system event. */
  reportError(e: unknown): void {
    this.systemEvent({ type: 'replication_error', message: e instanceof Error ? e.message : String(e) })
  }

  /** Tells the other tabs whether this tab runs replication. */
  announceLeader(on: boolean): void {
    this.leaderTab = on ? this.tab : null
    this.link?.post({ t: 'leader', tab: on ? this.tab : null })
  }

  /**
   * Resolves once every peer connected now holds commit `lsn` (with the nodes not reached), in
   * whichever tab of the node runs replication; at once when none does.
   */
  awaitReplicated(lsn: number, timeoutMs = 10_000): Promise<string[]> {
    if (this.replicated) return this.replicated(lsn)
    const link = this.link
    if (!link || this.leaderTab === null) return Promise.resolve([])
    const id = newId('sync-')
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.syncWaiters.delete(id)
        resolve(['?'])
      }, timeoutMs)
      this.syncWaiters.set(id, (unreached) => {
        clearTimeout(timer)
        this.syncWaiters.delete(id)
        resolve(unreached)
      })
      link.post({ t: 'sync-req', from: this.tab, id, lsn })
    })
  }

  /** Schedules a catch-up (coalescing concurrent requests). */
  requestCatchUp(): void {
    if (this.closed) return
    if (this.catching) {
      this.catchAgain = true
      return
    }
    void this.catchUp().catch(() => undefined)
  }

  /** Reads the log entries this tab has not applied and applies them. */
  catchUp(): Promise<void> {
    if (this.catching) {
      this.catchAgain = true
      return this.catching
    }
    this.catching = (async () => {
      do {
        this.catchAgain = false
        const db = await this.conn.get()
        const entries = await readLog(db.transaction(LOG, 'readonly').store, this.applied)
        const last = entries[entries.length - 1]
        if (!last) continue
        try {
          this.applyEntries(entries, last.lsn, 'tab')
        } catch (e) {
          if (!(e instanceof GapError)) throw e
          await this.reload()
        }
      } while (this.catchAgain && !this.closed)
    })().finally(() => {
      this.catching = null
    })
    return this.catching
  }

  /** Full reload after a gap: disc tables from IDB, ram tables from a live tab (or kept). */
  async reload(): Promise<void> {
    await this.load(undefined, false)
    if ([...this.catalog.tables.values()].some((t) => t.def.storage === 'ram_copies')) await this.fetchRamSnapshot()
    this.subs.applied.reset(this.applied)
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

  /** Applies one entry to memory and delivers its events. Idempotent by LSN. */
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
    if (entry.ops.some((op) => op.k === 'schema')) {
      // A schema change dumped every entry before it, and holds itself in the stores.
      this.pending = []
      this.pendingFrom = lsn
    } else {
      const n = discWrites(entry, (t) => this.catalog.tables.get(t)?.def.storage === 'disc_copies')
      if (n > 0) {
        this.pending.push(entry)
        if (this.localCids.has(entry.cid)) this.undumped += n
      }
    }
    this.subs.emitEntry(entry, origin, (t) => this.catalog.tables.get(t)?.def.type === 'bag')
    this.onApplied?.(entry, origin)
    for (let i = this.appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.appliedWaiters[i] as { lsn: number; resolve: () => void }
      if (w.lsn <= lsn) {
        this.appliedWaiters.splice(i, 1)
        w.resolve()
      }
    }
  }

  /** Resolves once this tab has applied `lsn`. */
  waitApplied(lsn: number): Promise<void> {
    if (this.applied >= lsn) return Promise.resolve()
    return new Promise((resolve) => this.appliedWaiters.push({ lsn, resolve }))
  }

  /**
   * Tells the other tabs that `lsn` is in the log. A tab alone skips it (a BroadcastChannel
   * message costs about a quarter of a 1-record commit): a tab that opens says 'hi' before its
   * last catch-up, and is answered with this tab's LSN, so it misses nothing.
   */
  announce(lsn: number): void {
    if (this.link?.hasPeers) this.link.post({ t: 'lsn', lsn, from: this.tab })
  }

  /**
   * After this tab's commit: once its own commits wrote {@link DUMP_THRESHOLD} disc_copies keys
   * since the last dump, starts one (the log, and the next tab's load, stay short under a steady
   * load).
   */
  dumpIfDue(): void {
    if (this.undumped < DUMP_THRESHOLD || this.dumping || this.dumpSoon) return
    // In a task of its own: the code waiting for this commit goes on (and commits again) first,
    // and the dump's writes are issued while IndexedDB works on that.
    this.dumpSoon = setTimeout(() => {
      this.dumpSoon = null
      void this.dump().catch((e: unknown) => this.dumpFailed(e))
    }, 0)
  }
  private dumpSoon: ReturnType<typeof setTimeout> | null = null

  /**
   * A background dump failed (the disc is full, say): the commits stay in the log, and the next
   * dump tries again. Told to this tab's system subscribers.
   */
  private dumpFailed(e: unknown): void {
    if (this.closed) return
    const err = mapStorageError(e)
    this.subs.emitSystem({ type: 'dump_failed', code: err.code, message: err.message })
  }

  /**
   * Dumps into the disc_copies stores (log/dumper.ts) every entry this tab has applied, whichever
   * tab committed it, from memory: the transaction covers `meta` and the stores written, never
   * the log, so commits go on meanwhile. Resolves with the LSN the stores reflect. One dump at a
   * time per tab; a dump asked for while one runs runs after it.
   */
  dump(): Promise<number> {
    const run = async (): Promise<number> => {
      this.undumped = 0
      if (this.applied <= this.pendingFrom) return this.pendingFrom
      const defs = new Map<string, TableDef>()
      for (const rt of this.catalog.tables.values()) if (rt.def.storage === 'disc_copies') defs.set(rt.def.name, rt.def)
      const plan: DumpPlan = { from: this.pendingFrom, upTo: this.applied, entries: this.pending.slice(), defs }
      const db = await this.conn.get()
      const tx = db.transaction([META, ...planStores(plan)], 'readwrite', { durability: 'strict' })
      const dumped = await applyDump(tx, plan)
      await tx.done
      this.dumpedTo(dumped)
      return dumped
    }
    const p = (this.dumping ?? Promise.resolve(0))
      .catch(() => 0)
      .then(run)
      .catch((e: unknown) => {
        throw this.closed ? new DatabaseClosedError() : mapStorageError(e)
      })
    const tracked = p.finally(() => {
      if (this.dumping === tracked) this.dumping = null
    })
    tracked.catch(() => undefined) // the caller of dump() handles the failure
    this.dumping = tracked
    return p
  }

  /** The stores reflect every entry up to `dumped`: this tab need not keep them for a dump. */
  private dumpedTo(dumped: number): void {
    if (dumped <= this.pendingFrom) return
    this.pendingFrom = dumped
    let i = 0
    while (i < this.pending.length && (this.pending[i] as LogEntry).lsn <= dumped) i++
    if (i > 0) this.pending = this.pending.slice(i)
  }

  /**
   * Reports this tab's applied LSN, dumps the log into the disc_copies stores, and truncates the
   * log entries every live tab has applied and the stores hold.
   */
  async housekeeping(): Promise<void> {
    if (this.closed || this.applied === this.reportedApplied) return
    // Tabs holding their Web Lock are alive, however long ago they reported (a frozen tab): the
    // log is never truncated past what a live tab has applied, so no live tab ever finds a gap
    // where its next commit's log key should collide (see the committer's speculation).
    const alive = new Set(await this.link?.others())
    await this.dump().catch((e: unknown) => this.dumpFailed(e))
    const db = await this.conn.get()
    const tx = db.transaction([TABS, LOG, META], 'readwrite', { durability: 'relaxed' })
    const dumped = await dumpedLsn(tx)
    this.dumpedTo(dumped)
    const now = Date.now()
    const tabs = tx.objectStore(TABS)
    // The tab reports no more than what the stores hold: a tab of an older webnesia (format 3,
    // which truncates by the tabs' reports alone) then never cuts entries the dumper still needs.
    const reported = Math.min(this.applied, dumped)
    fire(tabs.put({ applied: reported, at: now }, this.tab))
    let min = reported
    let cursor = await tabs.openCursor()
    while (cursor) {
      const v = cursor.value as { applied: number; at: number }
      if (cursor.key !== this.tab) {
        if (alive.has(cursor.key as string) || now - v.at <= TAB_LEASE_MS) min = Math.min(min, v.applied)
        else fire(cursor.delete())
      }
      cursor = await cursor.continue()
    }
    // Entries every live tab has applied and the stores hold go, but the last record stays: it
    // tells the current LSN.
    const last = await tx.objectStore(LOG).openKeyCursor(null, 'prev')
    const cut = Math.min(min, dumped, ((last?.key as number | undefined) ?? 0) - 1)
    if (cut > 0) fire(tx.objectStore(LOG).delete(IDBKeyRange.upperBound(cut)))
    await tx.done
    this.reportedApplied = this.applied
  }

  /** Throws {@link DatabaseClosedError} when closed. */
  check(): void {
    if (this.closed) throw new DatabaseClosedError()
  }

  /**
   * The object stores a commit over these tables writes or reads: those of disc_only_copies
   * tables (disc_copies stores are written by the dumper, ram_copies tables have none).
   */
  storesOf(tables: Iterable<string>): string[] {
    const out: string[] = []
    for (const t of tables) {
      const rt = this.catalog.tables.get(t)
      if (rt?.def.storage === 'disc_only_copies') out.push(storeName(rt.def))
    }
    return out
  }

  /** Closes the tab's copy of the node; its own commits not yet dumped are dumped first (best effort). */
  async close(): Promise<void> {
    if (this.closed) return
    if (this.dumpSoon) clearTimeout(this.dumpSoon)
    this.dumpSoon = null
    if (this.undumped > 0 || this.dumping) await this.dump().catch(() => undefined)
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    try {
      const db = await this.conn.get().catch(() => null)
      if (db) await db.delete(TABS, this.tab)
    } catch {
      // best effort: the record expires with its lease
    }
    this.link?.close()
    this.conn.close()
  }
}

type AnyTx = IDBPTransaction<unknown, string[], 'readwrite' | 'versionchange'>

/**
 * The node's current LSN, read inside a readwrite transaction over every store: the last log
 * entry's, or `meta.lsn` where an older database kept it (format 2). A database of an older format
 * is migrated here, once; one of a newer format is refused.
 */
export async function currentLsn(tx: AnyTx): Promise<number> {
  const meta = tx.objectStore(META)
  const log = tx.objectStore(LOG)
  const format = (await meta.get('format')) as number | undefined
  if (format !== undefined && format > FORMAT) {
    // Written by a newer webnesia: its log may mean something else. Refuse rather than corrupt it.
    throw new WebnesiaError('not_supported', `this database has on-disc format ${String(format)}; this webnesia reads up to ${String(FORMAT)}`)
  }
  if (format !== undefined && format < FORMAT) {
    await migrate(tx, format)
  }
  const stored = ((await meta.get('lsn')) as number | undefined) ?? 0
  // `dumped` is always the last LSN of a log record; when it is at or past the key (first LSN) of
  // the last record, it is that record's last LSN: no need to read the record (a big one costs).
  const lastKey = (await log.openKeyCursor(null, 'prev'))?.key as number | undefined
  const dumped = ((await meta.get(DUMPED)) as number | undefined) ?? 0
  if (lastKey !== undefined && dumped >= lastKey) return Math.max(stored, dumped)
  return Math.max(stored, await lastLogLsn(log))
}

/**
 * Brings a database of an older format to {@link FORMAT}: format 2 log records are re-keyed by
 * their first LSN, and the stores of formats 2 and 3 (written by every commit) hold the whole log.
 */
async function migrate(tx: AnyTx, format: number): Promise<void> {
  const meta = tx.objectStore(META)
  const log = tx.objectStore(LOG)
  if (format === 2) {
    let cursor = await log.openCursor()
    const moved: LogRecord[] = []
    while (cursor) {
      const rec = cursor.value as LogRecord
      if (rec.length > 0 && logKey(rec) !== cursor.key) {
        moved.push(rec)
        fire(cursor.delete())
      }
      cursor = await cursor.continue()
    }
    for (const rec of moved) fire(log.put(rec, logKey(rec)))
  }
  const stored = ((await meta.get('lsn')) as number | undefined) ?? 0
  fire(meta.put(Math.max(stored, await lastLogLsn(log)), DUMPED))
  fire(meta.put(FORMAT, 'format'))
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
