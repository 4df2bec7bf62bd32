/**
 * What a tab says to the other tabs of its node and how it answers them, over the tab link
 * (log/tabs.ts): "LSN n is in the log" (catch up), ram_copies snapshots (node/snapshots.ts),
 * system events, which tab runs replication (leader), and what a tab without replication routes
 * to the one that has it: sync requests (`sync_transaction`) and transactions over primary tables
 * (`pfwd`: src/primary/ sends them to the primary; the leader's beat carries the roles every tab
 * mirrors, node/primary-mirror.ts).
 *
 * @module
 */
import type { Subscriptions, SystemEvent } from '../events/subscriptions.js'
import type { LogEntry } from '../log/entry.js'
import { TabLink, type TabMessage } from './tab-link.js'
import { newId } from '../util/ids.js'
import type { Applier } from './applier.js'
import type { NodeHooks } from './hooks.js'
import type { RamSnapshots } from './snapshots.js'
import { PrimaryMirror, type ForwardAnswer } from './primary-mirror.js'

/** This tab's side of the tab protocol. */
export class TabProtocol {
  /** The link to the other tabs, once the tab opened. */
  link: TabLink | null = null
  /** The tab running replication for the node, as far as this tab knows. */
  leaderTab: string | null = null
  /** When that tab last said it lives (ms). */
  lastLeaderBeat = 0
  /** Tables whose records are being copied from a peer (`waitForTables` waits for them). */
  readonly copying = new Set<string>()
  /** The primary roles as the leader tab has them (node/primary-mirror.ts). */
  readonly primary = new PrimaryMirror()
  private readonly syncWaiters = new Map<string, (unreached: string[]) => void>()
  private readonly forwardWaiters = new Map<string, { leader: string; done: (a: ForwardAnswer | null) => void }>()

  constructor(
    private readonly name: string,
    private readonly applier: Applier,
    private readonly snapshots: RamSnapshots,
    private readonly subs: Subscriptions,
    private readonly hooks: NodeHooks,
  ) {}

  /** Joins the node's tabs: registers this tab as alive and asks who runs replication. */
  async open(): Promise<void> {
    this.link = new TabLink(this.name, this.applier.tab, (m) => {
      this.onMessage(m)
    })
    await this.link.register()
    this.link.post({ t: 'who-leads' })
  }

  /** The other live tabs of the node. */
  async others(): Promise<string[]> {
    return (await this.link?.others()) ?? []
  }

  private onMessage(m: TabMessage): void {
    const applier = this.applier
    switch (m.t) {
      case 'lsn':
        applier.noteKnown(m.lsn)
        // The entries came along (a small commit): apply them without reading the log, when they
        // follow on from what this tab applied; else (a gap, a commit too large to post) read it.
        if (m.lsn > applier.applied && !(m.entries && applier.applyAnnounced(m.entries))) applier.requestCatchUp()
        break
      case 'snap-req':
        this.snapshots.answer(this.link, m)
        break
      case 'snap':
        this.snapshots.received(m)
        break
      case 'bye':
      case 'here':
        break
      case 'hi':
        // A tab opening: tell it where the log is (it may have loaded before our last commit).
        this.link?.post({ t: 'lsn', lsn: applier.applied, from: applier.tab })
        break
      case 'sys':
        this.noteCopy(m.ev)
        this.subs.emitSystem(m.ev)
        break
      case 'leader':
        this.leaderTab = m.tab
        this.lastLeaderBeat = Date.now()
        if (m.primary) this.primary.take(m.primary)
        // A request the former leader took may or may not have reached the primary: no answer.
        for (const w of [...this.forwardWaiters.values()]) if (w.leader !== m.tab) w.done(null)
        break
      case 'who-leads':
        if (this.hooks.service('replicated')) this.postLeader(true)
        break
      case 'pfwd': {
        const forward = this.hooks.service('primaryForward')
        if (m.to !== applier.tab || !forward) break
        const answer = (a: ForwardAnswer): void => this.link?.post({ t: 'pfwd-res', to: m.from, id: m.id, answer: a })
        forward(m.primary, m.req).then(answer, () => {
          answer({ outcome: 'unreachable', lsn: applier.applied })
        })
        break
      }
      case 'pfwd-res':
        if (m.to === applier.tab) this.forwardWaiters.get(m.id)?.done(m.answer)
        break
      case 'sync-req': {
        const replicated = this.hooks.service('replicated')
        if (replicated) void replicated(m.lsn).then((unreached) => this.link?.post({ t: 'sync-res', to: m.from, id: m.id, unreached }))
        break
      }
      case 'sync-res':
        if (m.to === applier.tab) this.syncWaiters.get(m.id)?.(m.unreached)
        break
    }
  }

  /** Emits a system event in this tab and in every other tab of the node. */
  systemEvent(ev: SystemEvent): void {
    this.noteCopy(ev)
    this.subs.emitSystem(ev)
    this.link?.post({ t: 'sys', ev })
  }

  private noteCopy(ev: SystemEvent): void {
    if (ev.type === 'copy_started') this.copying.add(ev.table)
    else if (ev.type === 'table_copied') this.copying.delete(ev.table)
    else if (ev.type === 'primary_changed') this.primary.moved(ev.table, ev.node, ev.epoch)
  }

  /** Tells the other tabs whether this tab runs replication (while it does: with the primary roles). */
  announceLeader(on: boolean): void {
    this.leaderTab = on ? this.applier.tab : null
    this.postLeader(on)
  }

  private postLeader(on: boolean): void {
    const primary = on ? this.hooks.service('primaryMirror')?.() : null
    if (primary) this.primary.take(primary)
    this.link?.post(primary ? { t: 'leader', tab: this.applier.tab, primary } : { t: 'leader', tab: on ? this.applier.tab : null })
  }

  /**
   * Hands a primary-table request to the tab that replicates (it sends it to `primary` and answers
   * once it holds the outcome); null when no tab replicates, none answered in `timeoutMs`, or the
   * leader changed meanwhile (the request may then have reached the primary).
   */
  forwardPrimary(primary: string, req: unknown, timeoutMs: number): Promise<ForwardAnswer | null> {
    const link = this.link
    const leader = this.leaderTab
    if (!link || leader === null || leader === this.applier.tab) return Promise.resolve(null)
    const id = newId('pfwd-')
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        done(null)
      }, timeoutMs)
      const done = (a: ForwardAnswer | null): void => {
        clearTimeout(timer)
        this.forwardWaiters.delete(id)
        resolve(a)
      }
      this.forwardWaiters.set(id, { leader, done })
      link.post({ t: 'pfwd', from: this.applier.tab, to: leader, id, primary, req })
    })
  }

  /**
   * Tells the other tabs that `lsn` is in the log, with the `entries` that end there when they
   * are small (at most {@link POSTED_RECORDS} records): the other tabs apply them as they are,
   * without a read of the log (one IndexedDB transaction each, which would also queue behind
   * every commit). A tab alone skips it (a BroadcastChannel message costs about a quarter of a
   * 1-record commit): a tab that opens says 'hi' before its last catch-up, and is answered with
   * this tab's LSN, so it misses nothing.
   */
  announce(lsn: number, entries?: readonly LogEntry[]): void {
    if (!this.link?.hasPeers) return
    const small = entries !== undefined && entries.length > 0 && recordsIn(entries) <= POSTED_RECORDS
    this.link.post(small ? { t: 'lsn', lsn, from: this.applier.tab, entries } : { t: 'lsn', lsn, from: this.applier.tab })
  }

  /**
   * Resolves once every peer connected now holds commit `lsn` (with the nodes not reached), in
   * whichever tab of the node runs replication; at once when none does.
   */
  awaitReplicated(lsn: number, timeoutMs = 10_000): Promise<string[]> {
    const replicated = this.hooks.service('replicated')
    if (replicated) return replicated(lsn)
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
      link.post({ t: 'sync-req', from: this.applier.tab, id, lsn })
    })
  }

  close(): void {
    for (const w of [...this.forwardWaiters.values()]) w.done(null)
    this.link?.close()
  }
}

/** The most records an announcement carries with its entries (else the other tabs read the log). */
const POSTED_RECORDS = 256

/** Records held by entries (old and new records of every put, the intents). */
function recordsIn(entries: readonly LogEntry[]): number {
  let n = 0
  for (const e of entries) for (const op of e.ops) n += op.k === 'put' ? op.old.length + op.recs.length + (op.i?.length ?? 0) : 1
  return n
}
