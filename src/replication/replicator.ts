/**
 * Replication of one node, run by the node's leader tab while it has joined a room: the
 * coordinator that wires the parts together (each module's header tells its part).
 *
 *     local commit ──► node-link.followLog ──► ReplicaDoc.applyLocal (one doc transaction, LOCAL)
 *         ──► doc 'update' ──► protocol: UPDATE(ack id) to every peer, doc-store: persisted
 *     transport ──► attach(link) ──► peers.ts (a Peer per link) ──► protocol.ts (HELLO, SYNC1/2,
 *         UPDATE, ACK) ──► inbound.ts (guard, Y.applyUpdate) ──► doc-commit.ts (one commit
 *         through the Committer, origin 'peer') ──► ACK
 *     schema / copies in the doc ──► loader.ts (adopt and copy tables, follow copy entries)
 *     partitions.ts: what changed while apart; master nodes re-assert    acks.ts: syncTransaction
 *     policy.ts: per-table policies for peers' changes (refused: not committed, written back)
 *     doc-store.ts: the `ydoc` store and the partition record             node-link.ts: the node's slots
 *
 * Every tab sees remote changes through the commit log like any other commit; only this tab
 * holds the document and the links. Remote changes and schema follow-ups run on one queue, one at
 * a time, in arrival order. On start the document is loaded from the `ydoc` store and reconciled
 * with the tables (commits made while no tab replicated enter it then).
 *
 * @module
 */
import type * as Y from 'yjs'
import type { LogEntry } from '../log/entry.js'
import type { LocalNode } from '../node.js'
import type { StorageType } from '../schema/table-def.js'
import type { Committer } from '../txn/committer.js'
import { Acks } from './acks.js'
import type { ReplicationContext, ReplicatorOptions } from './context.js'
import { DocStore } from './doc-store.js'
import { LOADED, LOCAL, ReplicaDoc } from './doc.js'
import { Faults } from './faults.js'
import { changeOf, Inbound } from './inbound.js'
import { Loader } from './loader.js'
import { followLog, serveSync, unfollow } from './node-link.js'
import { Partitions } from './partitions.js'
import { Peers, type Peer } from './peers.js'
import type { PrimaryPort } from './primary-link.js'
import { primaryPort } from './primary-port.js'
import { Screen } from './policy.js'
import { Protocol } from './protocol.js'
import type { Pipe } from './transport.js'

export type { ReplicatorOptions } from './context.js'

/** The replication engine of a node (`db.replication` while this tab replicates). */
export class Replicator {
  /** The replication document. */
  readonly rdoc = new ReplicaDoc()
  /** The fault hook (`faults.set({ drop, duplicate, delay })`). */
  readonly faults: Faults
  private readonly ctx: ReplicationContext
  private readonly store: DocStore
  private readonly peers: Peers
  private readonly acks: Acks
  private readonly partitions: Partitions
  private readonly loader: Loader
  private readonly inbound: Inbound
  private readonly protocol: Protocol
  /** What primary tables (src/primary/) use of this replicator. */
  readonly primary: PrimaryPort
  private queue: Promise<void> = Promise.resolve()
  private resyncTimer: ReturnType<typeof setInterval> | null = null
  private beatTimer: ReturnType<typeof setInterval> | null = null
  private stopped = false

  constructor(
    private readonly node: LocalNode,
    committer: Committer,
    private readonly opts: ReplicatorOptions = {},
  ) {
    this.faults = new Faults(opts.faults)
    this.ctx = {
      node,
      committer,
      rdoc: this.rdoc,
      opts,
      self: node.nodeId,
      stopped: () => this.stopped,
      enqueue: (job) => {
        this.enqueue(job)
      },
      drain: () => this.queue,
    }
    this.store = new DocStore(node)
    this.partitions = new Partitions(this.ctx, this.store)
    this.peers = new Peers(node, this.faults, {
      away: (n) => {
        this.partitions.away(n)
      },
      changed: () => {
        this.acks.check()
      },
      rejected: (n) => {
        this.partitions.forget(n)
      },
    })
    this.acks = new Acks(node, this.peers, opts.ackTimeoutMs ?? 5000)
    this.loader = new Loader(this.ctx)
    this.inbound = new Inbound(this.ctx, this.peers, this.loader, this.partitions, this.store, new Screen(this.ctx))
    const heard = new Map<string, number>()
    this.primary = primaryPort(this.ctx, this.peers, heard, () => {
      this.resync()
    })
    this.protocol = new Protocol(this.ctx, this.peers, this.partitions, this.inbound, this.acks, this.store, this.primary, heard)
  }

  /** This node's id. */
  get self(): string {
    return this.node.nodeId
  }

  /** Node ids of the peers connected now. */
  connected(): string[] {
    return this.peers.connected()
  }

  /** Nodes holding a copy of a table, by storage type (as the document says). */
  copiesOf(table: string): Map<string, StorageType> {
    return this.rdoc.copiesOf(table)
  }

  /** Loads the persisted document, reconciles it with the tables, and starts following the log. */
  async start(): Promise<void> {
    const node = this.node
    await this.store.load(this.rdoc.doc)
    await this.partitions.load()
    await node.catchUp()
    this.rdoc.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOADED || this.stopped) return
      this.protocol.docUpdated(update, origin === LOCAL ? null : (origin as Peer))
    })
    this.rdoc.doc.on('afterTransaction', (tr: Y.Transaction) => {
      this.afterTransaction(tr)
    })
    // Roles live in the document only (no schema entry): say when one moves, here or at a peer.
    this.rdoc.primary.observe((ev) => {
      for (const table of ev.keysChanged as Set<string>) {
        const role = this.rdoc.primary.get(table)
        if (role && !this.stopped) node.systemEvent({ type: 'primary_changed', table, node: role.node, epoch: role.epoch })
      }
    })
    followLog(node, (entry) => {
      this.onLocalEntry(entry)
    })
    // Entries applied while reconcile awaits reads enter the doc through the log hook; a pass that
    // overlapped them may have written an older value over theirs: run again until none did.
    for (;;) {
      const at = node.applied
      await this.loader.reconcile()
      if (node.applied === at) break
    }
    serveSync(node, (lsn) => this.acks.waitReplicated(lsn))
    // Tables the document knows and this node has no copy of yet.
    this.enqueue(() => this.loader.syncSchema())
    const every = this.opts.resyncMs ?? 5000
    if (every > 0) {
      this.resyncTimer = setInterval(() => {
        this.resync()
      }, every)
      ;(this.resyncTimer as { unref?: () => void }).unref?.()
    }
    const beat = this.opts.heartbeatMs ?? 1000
    if (beat > 0) {
      const timeout = this.opts.peerTimeoutMs ?? 5000
      this.beatTimer = setInterval(() => {
        if (!this.stopped) this.protocol.beat(timeout, beat)
      }, beat)
      ;(this.beatTimer as { unref?: () => void }).unref?.()
    }
  }

  /** Stops replicating: closes every link, stops following the log. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.resyncTimer) clearInterval(this.resyncTimer)
    if (this.beatTimer) clearInterval(this.beatTimer)
    unfollow(this.node)
    this.peers.closeAll()
    await this.queue.catch(() => undefined)
    await this.store.flush()
    await this.partitions.flush().catch(() => undefined)
    this.acks.stop()
    this.rdoc.doc.destroy()
  }

  /** Takes a new link to a peer (the transport's peer up). */
  attach(pipe: Pipe): void {
    if (this.stopped) {
      pipe.close()
      return
    }
    const peer = this.peers.add(pipe)
    // HELLO first: frames that arrived before this side listened are handed over in onData, and
    // the peer's HELLO among them would otherwise clear what this HELLO must tell (`apart`).
    this.protocol.greet(peer)
    pipe.onData((frame) => {
      this.protocol.receive(peer, frame)
    })
    pipe.onClose(() => {
      this.peers.drop(peer)
    })
  }

  /** Cuts every connection to the given nodes (both directions), as a network partition would. */
  partition(nodes: readonly string[]): void {
    this.peers.partition(nodes)
  }

  /** Restores every cut connection: the peers greet and sync again. */
  heal(): void {
    this.peers.heal((p) => {
      this.protocol.greet(p, true)
    })
  }

  /**
   * Sends raw frames to a connected node, bypassing the protocol (tests of hostile input: this
   * node plays the malicious peer). Returns false when the node is not connected.
   * @internal
   */
  sendRaw(node: string, frames: readonly Uint8Array[]): boolean {
    const p = this.peers.find(node)
    if (!p) return false
    for (const f of frames) p.pipe.send(f)
    return true
  }

  /** Asks every peer for what this node lacks (anti-entropy; also after dropped messages). */
  resync(): void {
    this.protocol.resync()
  }

  /** Sets a node's copy of a table in the document (the node follows when it sees it). */
  setCopy(table: string, node: string, storage: StorageType | null): Promise<void> {
    return this.loader.setCopy(table, node, storage)
  }

  /** Waits until every peer connected now acknowledged the doc change of commit `lsn`. */
  waitReplicated(lsn: number): Promise<string[]> {
    return this.acks.waitReplicated(lsn)
  }

  /** Resolves when no remote change waits to be committed (tests, tools). */
  async idle(): Promise<void> {
    let q: Promise<void>
    do {
      q = this.queue
      await q
    } while (q !== this.queue)
    await this.faults.settled()
  }

  /** Makes the local catalog follow the document's schema and copies maps. */
  syncSchema(): Promise<void> {
    return this.loader.syncSchema()
  }

  private enqueue(job: () => Promise<void>): void {
    this.queue = this.queue.then(job).catch((e: unknown) => {
      if (!this.stopped) this.node.reportError(e)
    })
  }

  /** One of this node's commits enters the document (peer commits are there already). */
  private onLocalEntry(entry: LogEntry): void {
    if (entry.peer !== undefined || this.stopped) return
    const before = this.acks.last
    this.rdoc.applyLocal(
      entry,
      this.self,
      (t) => this.node.catalog.tables.get(t)?.def,
      (t) => this.loader.isDroppingCopy(t),
    )
    this.acks.noteCommit(entry.lsn, before)
  }

  private afterTransaction(tr: Y.Transaction): void {
    if (tr.origin === LOADED) return
    const change = changeOf(this.rdoc, tr)
    // Remember what changed here (written here, or received from the peers on this side) while
    // peers this node knows are away: the HELLO on their return says so.
    if (change.tables.size > 0) this.partitions.noteChanged(change.tables.keys())
    if (tr.origin === LOCAL) return
    this.inbound.committed(tr.origin as Peer, change)
  }
}
