/**
 * The peers of a node (Mnesia's mnesia_controller's view of the running nodes): one {@link Peer}
 * per link a transport handed over, which node it is once its HELLO came, and which nodes are up.
 *
 *     link up ──► add ──► (HELLO) ──► nodeUp: first live link of a node → `node_up`
 *     link closed / reject / cut ──► drop ──► nodeDown: last live link gone → `node_down`
 *     nothing heard for the peer timeout ──► silent: the node counts as down, the link stays
 *     a frame from a silent peer ──► revive: the node is up again (the protocol greets it)
 *
 * A link counts toward its node being up while it has a node id and is neither cut nor silent.
 * Silence keeps the link because the peer may only be busy (a tab digesting a table copy, a
 * frozen tab): closing it would lose the connection for good where the transport does not
 * reconnect. A peer that is really gone has its link closed by the transport in time.
 *
 * Sending goes through the fault hook (faults.ts: drop, duplicate, delay); `partition` cuts a
 * node's links without closing them (nothing goes in or out, the node counts as down) and `heal`
 * restores them (the peers greet and sync again). A peer that sends anything malformed is
 * rejected: `peer_rejected`, its link closed.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import type { LocalNode } from '../node.js'
import type { Faults } from './faults.js'
import type { Pipe } from './transport.js'
import { Reassembler, sendMessage, type Message } from './wire.js'

/** How fast a peer is assumed to digest updates it is sent, at the least (bytes per ms; heartbeats). */
const DIGEST_BYTES_PER_MS = 100

/** One link to a peer, and what this node knows of the conversation on it. */
export class Peer {
  /** The peer's node id, from its HELLO (null before). */
  node: string | null = null
  closed = false
  /** Cut by the fault hook: nothing goes in or out, the peer counts as down. */
  cut = false
  /** Nothing came from the peer for the peer timeout: the node counts as down until it speaks. */
  silent = false
  /** Rejected for malformed input: nothing more it sent is taken. */
  rejected = false
  /** This side sent a HELLO asking for an answer and has heard no HELLO since. */
  awaitingHello = false
  readonly reasm = new Reassembler()
  /** Tables whose keys this node re-asserts when the peer's changes arrive (master nodes). */
  reassert = new Set<string>()
  /**
   * This side left an update of the peer's out (a gap, an unknown origin: inbound.ts) and asked
   * it for what this node lacks (SYNC1); until its SYNC2 comes, further ones ask nothing more.
   */
  catchingUp = false
  /**
   * The highest ack id of the peer's updates left out since its last SYNC2: the next SYNC2 it
   * sends covers them (it left the peer after them, on an ordered link), so once that SYNC2 is
   * committed they are acknowledged.
   */
  owedAck = 0
  /** The highest ack id the peer acknowledged. */
  acked = 0
  /** When a frame last came from the peer (ms since the epoch). */
  heard = Date.now()
  constructor(readonly pipe: Pipe) {}
}

/** What the peers tell the rest of the replicator. */
export interface PeerEvents {
  /** The node's last live link went away (before `node_down` is emitted). */
  away(node: string): void
  /** A node went down or a peer's acknowledgements may have moved. */
  changed(): void
  /** A peer that said HELLO as `node` was rejected for malformed input. */
  rejected?(node: string): void
}

/** True while the link counts toward its node being up. */
function counts(p: Peer): boolean {
  return p.node !== null && !p.cut && !p.silent && !p.closed
}

/** The set of peers and the up/down state of their nodes. */
export class Peers {
  private readonly all = new Set<Peer>()
  /** Node id → number of live (not cut) links after HELLO. */
  private readonly up = new Map<string, number>()

  constructor(
    private readonly node: LocalNode,
    private readonly faults: Faults,
    private readonly events: PeerEvents,
  ) {}

  /** Every peer, in the order their links came. */
  [Symbol.iterator](): IterableIterator<Peer> {
    return this.all[Symbol.iterator]()
  }

  /** Node ids of the peers connected now. */
  connected(): string[] {
    return [...this.up.keys()].sort()
  }

  /** True while some live link reaches `node`. */
  isUp(node: string): boolean {
    return this.up.has(node)
  }

  /** A live (not cut) link to `node`. */
  find(node: string): Peer | undefined {
    return [...this.all].find((x) => x.node === node && !x.cut)
  }

  /** Takes a new link. */
  add(pipe: Pipe): Peer {
    const peer = new Peer(pipe)
    this.all.add(peer)
    return peer
  }

  /** Sends a message to a peer (through the fault hook; nothing once it is closed or cut). */
  send(peer: Peer, m: Message): void {
    if (peer.closed || peer.cut) return
    // A peer digesting a large update (a table copy) may be silent meanwhile: its heartbeat
    // deadline moves out by the update's size at a slow pace (100 bytes per ms).
    if (m.kind === 'sync2' || m.kind === 'update') peer.heard = Math.max(peer.heard, Date.now() + m.update.length / DIGEST_BYTES_PER_MS)
    this.faults.deliver(() => {
      if (peer.closed || peer.cut) return
      try {
        sendMessage(peer.pipe, m)
      } catch {
        // a closing pipe: its close handler drops the peer
      }
    })
  }

  /** A peer sent something malformed: report it and drop the peer. */
  reject(peer: Peer, e: unknown): void {
    const err = e instanceof WebnesiaError ? e : new WebnesiaError('bad_update', `bad message: ${String(e)}`)
    if (peer.rejected) return
    peer.rejected = true
    this.node.systemEvent({ type: 'peer_rejected', node: peer.node ?? 'unknown', reason: err.message })
    peer.pipe.close()
    this.drop(peer)
    if (peer.node !== null) this.events.rejected?.(peer.node)
  }

  /** Nothing came from the peer for too long (its browser closed, its tab froze or is busy). */
  silent(peer: Peer): void {
    if (peer.silent || peer.closed) return
    const was = counts(peer)
    peer.silent = true
    if (was && peer.node !== null) this.nodeDown(peer.node)
  }

  /** A silent peer spoke again: its node is up again. False if it was not silent. */
  revive(peer: Peer): boolean {
    if (!peer.silent) return false
    peer.silent = false
    if (counts(peer) && peer.node !== null) this.nodeUp(peer.node)
    return true
  }

  /** The link is gone. */
  drop(peer: Peer): void {
    if (peer.closed) return
    const was = counts(peer)
    peer.closed = true
    this.all.delete(peer)
    if (was && peer.node !== null) this.nodeDown(peer.node)
  }

  /** A link of `node` said HELLO. */
  nodeUp(node: string): void {
    const n = this.up.get(node) ?? 0
    this.up.set(node, n + 1)
    if (n === 0) this.node.systemEvent({ type: 'node_up', node })
  }

  private nodeDown(node: string): void {
    const n = (this.up.get(node) ?? 1) - 1
    if (n > 0) {
      this.up.set(node, n)
      return
    }
    this.up.delete(node)
    this.events.away(node)
    this.node.systemEvent({ type: 'node_down', node })
    this.events.changed()
  }

  /** Cuts every link to the given nodes (both directions), as a network partition would. */
  partition(nodes: readonly string[]): void {
    for (const p of this.all) {
      if (p.node !== null && nodes.includes(p.node) && !p.cut) {
        const was = counts(p)
        p.cut = true
        if (was) this.nodeDown(p.node)
      }
    }
  }

  /** Restores every cut link; `greet` starts the conversation on it again. */
  heal(greet: (peer: Peer) => void): void {
    for (const p of this.all) {
      if (!p.cut) continue
      p.cut = false
      p.silent = false
      p.heard = Date.now()
      p.node = null
      p.acked = 0
      greet(p)
    }
  }

  /** Closes every link (the replicator stops). */
  closeAll(): void {
    for (const p of [...this.all]) {
      p.pipe.close()
      this.drop(p)
    }
  }
}
