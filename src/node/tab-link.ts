/**
 * The tabs of a node: who is alive, and the channel they talk on.
 *
 * Liveness: each tab holds a Web Lock named `webnesia:<name>:tab:<id>` for as long as it is open;
 * `navigator.locks.query()` lists the live tabs (a crashed tab's lock is released by the
 * browser). Where Web Locks are missing (Node), the in-realm stand-in of util/locks.ts keeps the
 * same semantics for handles opened in one realm (API.md: two handles with one name behave as two
 * tabs).
 *
 * The channel (`BroadcastChannel('webnesia:<name>')`) only carries small messages: "LSN n is in
 * the log", the ram_copies snapshot a late tab asks for (ram tables have no disc copy), and what
 * the tab protocol (tab-protocol.ts) routes through the replicating tab.
 *
 * @module
 */
import type { LogEntry } from '../log/entry.js'
import type { Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'
import type { SystemEvent } from '../events/subscriptions.js'
import { lockManager } from '../util/locks.js'
import type { ForwardAnswer, MirrorSnapshot } from './primary-mirror.js'

/** A ram_copies table's content, as a snapshot travels between tabs. */
export interface TableSnapshot {
  name: string
  cookie: string
  slots: [Key, Rec[]][]
}

export type TabMessage =
  | { t: 'lsn'; lsn: number; from: string; entries?: readonly LogEntry[] }
  | { t: 'snap-req'; from: string; id: string }
  | { t: 'snap'; to: string; id: string; lsn: number; tables: TableSnapshot[] }
  | { t: 'bye'; from: string }
  | { t: 'sys'; ev: SystemEvent }
  | { t: 'leader'; tab: string | null; primary?: MirrorSnapshot }
  | { t: 'hi'; from: string }
  | { t: 'here'; from: string }
  | { t: 'who-leads' }
  | { t: 'sync-req'; from: string; id: string; lsn: number }
  | { t: 'sync-res'; to: string; id: string; unreached: string[] }
  | { t: 'pfwd'; from: string; to: string; id: string; primary: string; req: unknown }
  | { t: 'pfwd-res'; to: string; id: string; answer: ForwardAnswer }

/** One tab's membership in its node. */
export class TabLink {
  private readonly channel: BroadcastChannel
  private release: (() => void) | null = null
  private closed = false
  /**
   * The other tabs this one has heard of (a 'hi' on opening, a 'here' in answer, any message;
   * 'bye' on closing). A crashed tab stays in the set: that only costs announcements nobody reads.
   */
  private readonly peers = new Set<string>()

  constructor(
    readonly node: string,
    readonly tab: string,
    onMessage: (m: TabMessage) => void,
  ) {
    this.channel = new BroadcastChannel(`webnesia:${node}`)
    this.channel.onmessage = (ev: MessageEvent) => {
      if (this.closed) return
      const m = ev.data as TabMessage
      if (m.t === 'bye') this.peers.delete(m.from)
      else if ('from' in m && m.from !== this.tab) this.peers.add(m.from)
      if (m.t === 'hi') this.post({ t: 'here', from: this.tab })
      if (this.frozen) this.hold(m)
      else onMessage(m)
    }
    this.post({ t: 'hi', from: this.tab })
    // A frozen page still runs BroadcastChannel handlers, but not the IndexedDB callbacks that
    // follow: a catch-up it began would leave a log transaction open for as long as it stays frozen,
    // and every other tab's commit would wait behind it. So messages are held while the page is
    // frozen (Page Lifecycle `freeze`) and delivered on `resume`.
    const doc = (globalThis as { document?: EventTarget }).document
    if (doc && typeof doc.addEventListener === 'function') {
      const onFreeze = (): void => void (this.frozen = true)
      const onResume = (): void => {
        this.frozen = false
        for (const m of this.held.splice(0)) if (!this.closed) onMessage(m)
      }
      doc.addEventListener('freeze', onFreeze)
      doc.addEventListener('resume', onResume)
      this.unlisten = () => {
        doc.removeEventListener('freeze', onFreeze)
        doc.removeEventListener('resume', onResume)
      }
    }
  }

  private frozen = false
  private readonly held: TabMessage[] = []
  private unlisten: (() => void) | null = null

  /** Keeps a message for `resume`; of the "LSN n is there" announcements only the latest. */
  private hold(m: TabMessage): void {
    if (m.t === 'lsn') {
      m = { t: 'lsn', lsn: m.lsn, from: m.from } // the entries are read from the log on resume
      const i = this.held.findIndex((h) => h.t === 'lsn')
      if (i >= 0) {
        const h = this.held[i]
        if (h?.t === 'lsn' && h.lsn >= m.lsn) return
        this.held.splice(i, 1)
      }
    }
    if (this.held.length < 10_000) this.held.push(m)
  }

  /** True when another tab of the node may be listening (announcements are needed). */
  get hasPeers(): boolean {
    return this.peers.size > 0
  }

  private lockPrefix(): string {
    return `webnesia:${this.node}:tab:`
  }

  /** Marks this tab alive until {@link close}. */
  async register(): Promise<void> {
    const lm = lockManager()
    await new Promise<void>((acquired) => {
      void lm.request(this.lockPrefix() + this.tab, { mode: 'exclusive' }, () => {
        acquired()
        return new Promise<void>((r) => {
          this.release = r
        })
      })
    })
  }

  /** Ids of the other live tabs of this node. */
  async others(): Promise<string[]> {
    const q = await lockManager().query()
    const prefix = this.lockPrefix()
    return (q.held ?? [])
      .map((l) => l.name ?? '')
      .filter((n) => n.startsWith(prefix))
      .map((n) => n.slice(prefix.length))
      .filter((t) => t !== this.tab)
  }

  post(m: TabMessage): void {
    if (!this.closed) this.channel.postMessage(m)
  }

  close(): void {
    if (this.closed) return
    this.post({ t: 'bye', from: this.tab })
    this.closed = true
    this.unlisten?.()
    this.channel.close()
    this.release?.()
  }
}
