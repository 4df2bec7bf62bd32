/**
 * The local node as one tab runs it: the composition root that wires the modules of a tab's
 * node together. It holds no state of theirs; each module owns its own:
 *
 *     backend      durable storage (backend/backend.ts; IndexedDB by default)
 *     catalog      tables and their copies (schema/catalog.ts)
 *     applier      load, applyEntry, catch-up: what this tab has applied (node/applier.ts)
 *     hooks        what follows applied entries (node/hooks.ts): dump bookkeeping, events,
 *                  replication's capture; and the services replication provides
 *     writer       the append protocol (log/append.ts), used by the committer and DDL
 *     dumps        the dump schedule (node/dumps.ts)
 *     tabs         the tab protocol over the tab link (node/tab-protocol.ts)
 *     snapshots    ram_copies snapshots between tabs (node/snapshots.ts)
 *     housekeeping report, dump, truncate (node/housekeeping.ts)
 *
 * The methods here delegate, so the rest of the engine (txn/, schema/ddl.ts, replication/) sees
 * one node.
 *
 * @module
 */
import type { BackendFactory, StorageBackend } from './backend/backend.js'
import { idbBackend } from './backend/idb.js'
import { DatabaseClosedError } from './errors.js'
import { Subscriptions, type Origin, type SystemEvent } from './events/subscriptions.js'
import { LogWriter } from './log/append.js'
import { createBaseStores, LOG, TABS } from './log/connection.js'
import type { LogEntry, LogRecord } from './log/entry.js'
import { fire } from './backend/requests.js'
import { Applier } from './node/applier.js'
import { DumpSchedule } from './node/dumps.js'
import { NodeHooks } from './node/hooks.js'
import { Housekeeping } from './node/housekeeping.js'
import { RamSnapshots } from './node/snapshots.js'
import { TabProtocol } from './node/tab-protocol.js'
import { Catalog } from './schema/catalog.js'
import { storeName } from './schema/table-def.js'
import { newId } from './util/ids.js'

export { GapError } from './node/applier.js'
export { currentLsn } from './log/format.js'

/** One tab's runtime of the node. */
export class LocalNode {
  /** The node's durable storage (backend/backend.ts). */
  readonly backend: StorageBackend
  readonly catalog: Catalog
  readonly subs = new Subscriptions()
  readonly tab = newId('tab-')
  /** The hook registry: replication registers its capture and services here. */
  readonly hooks = new NodeHooks()
  readonly applier: Applier
  /** The append protocol (log/append.ts): how this tab's commits and schema changes enter the log. */
  readonly writer: LogWriter
  readonly dumps: DumpSchedule
  readonly tabs: TabProtocol
  private readonly snapshots: RamSnapshots
  private readonly housekeeper: Housekeeping
  closed = false

  constructor(
    readonly name: string,
    backend: BackendFactory = idbBackend,
  ) {
    this.backend = backend(name, createBaseStores)
    this.catalog = new Catalog(this.backend)
    const isClosed = (): boolean => this.closed
    this.applier = new Applier(this.backend, this.catalog, this.hooks, this.tab, () => this.reload(), isClosed)
    this.writer = new LogWriter(this, async (key) => {
      const tx = await this.backend.transaction([LOG], 'readonly')
      return (await tx.store(LOG).get(key)) as LogRecord | undefined
    })
    this.dumps = new DumpSchedule(this.backend, this.catalog, this.applier, this.subs, isClosed)
    this.snapshots = new RamSnapshots(this.catalog, this.applier)
    this.tabs = new TabProtocol(name, this.applier, this.snapshots, this.subs, this.hooks)
    this.housekeeper = new Housekeeping(this.backend, this.applier, this.dumps, () => this.tabs.others(), isClosed)
    // In this order, after memory and indexes: dump bookkeeping, then the events.
    this.hooks.onLoaded((lsn) => {
      this.dumps.loaded(lsn)
    })
    this.hooks.onApplied((entry) => {
      this.dumps.applied(entry)
    })
    this.hooks.onApplied((entry, origin) => {
      this.subs.emitEntry(entry, origin, (t) => this.catalog.tables.get(t)?.def.type === 'bag')
    })
    this.backend.onVersionChange = () => {
      this.applier.requestCatchUp()
    }
  }

  /** Opens the node in this tab. */
  async open(nodeOpt: string | undefined): Promise<void> {
    await this.applier.load(nodeOpt, true)
    await this.tabs.open()
    if (this.snapshots.needed) await this.snapshots.fetch(this.tabs.link)
    await this.applier.catchUp()
    this.housekeeper.start()
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
      document.addEventListener('freeze', this.onFreeze)
      document.addEventListener('resume', this.onResume)
    }
  }

  // A tab frozen with a transaction open would hold its stores until it runs again (backend.suspend).
  private readonly onFreeze = (): void => {
    this.backend.suspend?.()
  }
  private readonly onResume = (): void => {
    this.backend.resume?.()
    this.applier.requestCatchUp()
  }

  /** Full reload after a gap: disc tables from the backend, ram tables from a live tab (or kept). */
  async reload(): Promise<void> {
    await this.applier.load(undefined, false)
    if (this.snapshots.needed) await this.snapshots.fetch(this.tabs.link)
    this.subs.applied.reset(this.applied)
  }

  // The applier's state, read by the rest of the engine.
  get nodeId(): string {
    return this.applier.nodeId
  }
  get applied(): number {
    return this.applier.applied
  }
  get known(): number {
    return this.applier.known
  }
  get epoch(): number {
    return this.applier.epoch
  }
  get localCids(): Set<string> {
    return this.applier.localCids
  }
  catchUp(): Promise<void> {
    return this.applier.catchUp()
  }
  requestCatchUp(): void {
    this.applier.requestCatchUp()
  }
  applyEntries(entries: readonly LogEntry[], upTo: number, origin: Origin): void {
    this.applier.applyEntries(entries, upTo, origin)
  }
  applyEntry(entry: LogEntry, origin: Origin): void {
    this.applier.applyEntry(entry, origin)
  }
  waitApplied(lsn: number): Promise<void> {
    return this.applier.waitApplied(lsn)
  }

  // The tab protocol.
  /** The link to the other tabs (tests look at it). */
  get link(): TabProtocol['link'] {
    return this.tabs.link
  }
  get leaderTab(): string | null {
    return this.tabs.leaderTab
  }
  get lastLeaderBeat(): number {
    return this.tabs.lastLeaderBeat
  }
  /** Tables whose records are being copied from a peer. */
  get copying(): Set<string> {
    return this.tabs.copying
  }
  systemEvent(ev: SystemEvent): void {
    this.tabs.systemEvent(ev)
  }
  /** Reports an error of a background activity (replication) as a system event. */
  reportError(e: unknown): void {
    this.systemEvent({ type: 'replication_error', message: e instanceof Error ? e.message : String(e) })
  }
  announceLeader(on: boolean): void {
    this.tabs.announceLeader(on)
  }
  announce(lsn: number, entries?: readonly LogEntry[]): void {
    this.tabs.announce(lsn, entries)
  }
  awaitReplicated(lsn: number, timeoutMs?: number): Promise<string[]> {
    return this.tabs.awaitReplicated(lsn, timeoutMs)
  }

  // Dumps and housekeeping.
  dumpIfDue(): void {
    this.dumps.dumpIfDue()
  }
  dump(): Promise<number> {
    return this.dumps.dump()
  }
  housekeeping(): Promise<void> {
    return this.housekeeper.run()
  }

  /** Throws {@link DatabaseClosedError} when closed. */
  check(): void {
    if (this.closed) throw new DatabaseClosedError()
  }

  /**
   * The stores a commit over these tables writes or reads: those of disc_only_copies tables
   * (disc_copies stores are written by the dumper, ram_copies tables have none).
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
    this.dumps.cancel()
    if (this.dumps.owed) await this.dumps.dump().catch(() => undefined)
    this.closed = true
    this.housekeeper.stop()
    if (typeof document !== 'undefined' && typeof document.removeEventListener === 'function') {
      document.removeEventListener('freeze', this.onFreeze)
      document.removeEventListener('resume', this.onResume)
    }
    try {
      const tx = await this.backend.transaction([TABS], 'readwrite')
      fire(tx.store(TABS).delete(this.tab))
      await tx.done
    } catch {
      // best effort: the record expires with its lease
    }
    this.tabs.close()
    this.backend.close()
  }
}
