/**
 * Partitions (Mnesia's `inconsistent_database` and master nodes): what changed on each side while
 * two nodes were apart, and which side wins.
 *
 *     a known node goes down ──► apart[node] = {}   (every node met before starts away on load)
 *     a doc transaction here changes table T ──► T joins every apart[node]
 *     HELLO from node N carries its apart pairs ("N0\0T": N wrote T while N0 was away)
 *       both sides changed something ──► `inconsistent_database` (tables, [N])
 *       N changed T, T's master nodes include this node and not N ──► peer.reassert += T:
 *         for every key of T that N's catch-up (its SYNC2) touches, this node writes its own
 *         records back into the document, so its version wins on every node
 *
 * The nodes met (`known`) and `apart` are kept in `meta` (doc-store.ts), one write per burst, so
 * a node reloaded (or whose leader tab changed) while apart still knows. Without master nodes the
 * CRDT decides.
 *
 * @module
 */
import type { Rec } from '../storage/record.js'
import type { Key } from '../storage/term.js'
import { parseKeyString } from './codec.js'
import { tableOfCookie, type ReplicationContext } from './context.js'
import { LOCAL } from './doc.js'
import type { DocStore } from './doc-store.js'
import type { Peer } from './peers.js'

/**
 * Most nodes remembered (the ones met longest ago are forgotten first): a room's churn, or a
 * hostile peer saying HELLO under ever new ids, must not grow the bookkeeping, its `meta` record
 * and every HELLO without bound.
 */
export const MAX_KNOWN = 1000

/** The partition bookkeeping of one node. */
export class Partitions {
  /** Node seen before and now away → tables written here since it left. */
  private readonly apart = new Map<string, Set<string>>()
  /** Nodes this node has met (HELLO): away until they say HELLO again. */
  private readonly known = new Set<string>()
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly ctx: ReplicationContext,
    private readonly store: DocStore,
  ) {}

  /** Takes the bookkeeping of the last run: every node met before is away until its HELLO. */
  async load(): Promise<void> {
    const saved = await this.store.loadPartition()
    if (!saved) return
    const apart = new Map(saved.apart)
    for (const n of saved.known) {
      this.known.add(n)
      this.apart.set(n, new Set(apart.get(n) ?? []))
    }
  }

  /** What this node's HELLO says: `<node>\0<table>` for each table changed while `node` was away. */
  apartPairs(): string[] {
    const out: string[] = []
    for (const [n, tables] of this.apart) for (const t of tables) out.push(`${n}\u0000${t}`)
    return out
  }

  /** `node` said HELLO on `peer` with its apart pairs: compare both sides' changes. */
  met(peer: Peer, node: string, apartPairs: readonly string[]): void {
    const self = this.ctx.self
    const theirs = new Set<string>()
    for (const pair of apartPairs) {
      const i = pair.indexOf('\u0000')
      if (i > 0 && pair.slice(0, i) === self) theirs.add(pair.slice(i + 1))
    }
    const mine = this.apart.get(node) ?? new Set<string>()
    this.apart.delete(node)
    this.known.delete(node) // re-added last: the most recently met
    this.known.add(node)
    for (const old of this.known) {
      if (this.known.size <= MAX_KNOWN) break
      this.forget(old)
    }
    this.save()
    const catalog = this.ctx.node.catalog
    if (theirs.size > 0 && mine.size > 0) {
      this.ctx.node.systemEvent({ type: 'inconsistent_database', tables: [...new Set([...theirs, ...mine])].sort(), nodes: [node] })
    }
    for (const t of theirs) {
      const masters = catalog.tables.get(t)?.def.masterNodes ?? []
      if (masters.includes(self) && !masters.includes(node)) peer.reassert.add(t)
      else if (this.ctx.rdoc.primary.get(t)?.node === self) peer.reassert.add(t)
    }
  }

  /** A node met before is gone: remember what changes here from now on. */
  away(node: string): void {
    if (!this.known.has(node)) return
    if (!this.apart.has(node)) this.apart.set(node, new Set())
    this.save()
  }

  /** Forgets a node (a peer rejected for malformed input; the oldest beyond {@link MAX_KNOWN}). */
  forget(node: string): void {
    if (!this.known.delete(node) && !this.apart.delete(node)) return
    this.apart.delete(node)
    this.save()
  }

  /** A doc transaction changed these tables (by cookie): remember them for every node away. */
  noteChanged(cookies: Iterable<string>): void {
    if (this.apart.size === 0) return
    const names: string[] = []
    for (const c of cookies) {
      const t = tableOfCookie(this.ctx.node, c)
      if (t !== null) names.push(t)
    }
    let grew = false
    for (const set of this.apart.values()) {
      for (const t of names) {
        if (set.has(t)) continue
        set.add(t)
        grew = true
      }
    }
    if (grew) this.save()
  }

  /** The peer's catch-up (SYNC2) is in: once it is committed, stop re-asserting for it. */
  caughtUp(peer: Peer): void {
    if (peer.reassert.size === 0) return
    const done = peer.reassert
    this.ctx.enqueue(() => {
      if (peer.reassert === done) peer.reassert = new Set()
      return Promise.resolve()
    })
  }

  /** Re-asserts this node's records for keys a peer changed while apart (master nodes). */
  async reassert(peer: Peer, tables: Map<string, Set<string>>): Promise<void> {
    const { node, rdoc } = this.ctx
    const writes: [string, Key, readonly Rec[]][] = []
    for (const [cookie, ks] of tables) {
      const name = tableOfCookie(node, cookie)
      if (name === null || !peer.reassert.has(name)) continue
      const role = rdoc.primary.get(name)
      // Fencing: the role moved to another node (a newer epoch) while apart: that node decides.
      if (role !== undefined && role.node !== this.ctx.self && !(node.catalog.tables.get(name)?.def.masterNodes ?? []).includes(this.ctx.self)) continue
      const rt = node.catalog.get(name)
      for (const k of ks) {
        const key = parseKeyString(k)
        writes.push([rt.def.cookie, key, await rt.reader.read(key)])
      }
    }
    if (writes.length === 0) return
    rdoc.doc.transact(() => {
      for (const [cookie, key, recs] of writes) rdoc.setKey(cookie, key, recs)
    }, LOCAL)
  }

  /** Keeps the bookkeeping in `meta`, soon (one write per burst). */
  private save(): void {
    this.timer ??= setTimeout(() => {
      void this.flush().catch((e: unknown) => {
        this.ctx.node.reportError(e)
      })
    }, 20)
  }

  /** Writes the bookkeeping now if a write is pending. */
  async flush(): Promise<void> {
    if (!this.timer) return
    clearTimeout(this.timer)
    this.timer = null
    await this.store.savePartition({ known: [...this.known], apart: [...this.apart].map(([n, tables]) => [n, [...tables]]) })
  }
}

