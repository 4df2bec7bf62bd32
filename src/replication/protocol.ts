/**
 * The conversation on one link (frames: wire.ts):
 *
 *     link up ──► HELLO(node id, apart pairs), SYNC1(state vector)
 *     HELLO   ──► check the id; partitions.met; first HELLO on the link: node up, SYNC1 again
 *                 (an earlier SYNC1 may have reached the peer while it was cut off); a HELLO
 *                 that asks for an answer gets this node's HELLO back
 *     SYNC1   ──► SYNC2(everything the state vector lacks)
 *     SYNC2   ──► inbound.apply; the peer caught up (partitions: stop re-asserting)
 *     UPDATE  ──► inbound.apply (its ack id is answered by an ACK once it is committed; one
 *                 left out, after a gap or with an unknown origin, is answered by a SYNC1)
 *     ACK     ──► acks.acked
 *     PREQ / PREPLY ──► the tab's primary service (primary-link.ts; src/primary/)
 *     local doc update ──► UPDATE(next ack id) to every peer, persisted
 *     a peer's doc update ──► UPDATE(0) to every other peer (a partial mesh still converges),
 *                 except those on the sender's mesh (Pipe.mesh: the sender reached them itself)
 *     every resyncMs ──► SYNC1 to every peer (anti-entropy: dropped messages come back)
 *     every heartbeatMs ──► BEAT to every peer; a peer silent for peerTimeoutMs: node down (the
 *                 link stays: peers.ts)
 *     any frame from a silent peer ──► node up, HELLO (asking for an answer), SYNC1: the two
 *                 sides compare what changed while apart and catch up, as after a heal
 *     BEAT    ──► nothing (any frame tells the peer lives)
 *
 * Anything malformed (a frame, a chunk, a state vector, an update, a HELLO with this node's id
 * or a changed one) rejects the peer (`peer_rejected`, link closed) and changes nothing.
 *
 * @module
 */
import * as Y from 'yjs'
import { WebnesiaError } from '../errors.js'
import type { Acks } from './acks.js'
import type { ReplicationContext } from './context.js'
import type { DocStore } from './doc-store.js'
import type { Inbound } from './inbound.js'
import type { Partitions } from './partitions.js'
import type { Peer, Peers } from './peers.js'
import { primaryService, type PrimaryPort } from './primary-link.js'
import { decodeFrame, type Message } from './wire.js'

/** The replication protocol of one node, over all its links. */
export class Protocol {
  private lastTick = Date.now()
  constructor(
    private readonly ctx: ReplicationContext,
    private readonly peers: Peers,
    private readonly partitions: Partitions,
    private readonly inbound: Inbound,
    private readonly acks: Acks,
    private readonly store: DocStore,
    private readonly port: PrimaryPort,
    /** When a frame last came from each node (primary tables' `lastSync`), kept here. */
    private readonly heard: Map<string, number>,
  ) {}

  /**
   * Opens the conversation on a link: HELLO, then SYNC1. `answer`: ask the peer for its HELLO
   * back (this side lost the peer, and the peer may not have lost this side).
   */
  greet(peer: Peer, answer = false): void {
    if (answer) peer.awaitingHello = true
    this.peers.send(peer, { kind: 'hello', node: this.ctx.self, apart: this.partitions.apartPairs(), ...(answer ? { answer } : {}) })
    this.peers.send(peer, { kind: 'sync1', sv: Y.encodeStateVector(this.ctx.rdoc.doc) })
  }

  /** A frame arrived on a link. */
  receive(peer: Peer, frame: Uint8Array): void {
    if (peer.closed || peer.cut || this.ctx.stopped()) return
    peer.heard = Date.now()
    if (this.peers.revive(peer)) this.greet(peer, true)
    try {
      if (peer.node !== null) this.heard.set(peer.node, Date.now())
      const whole = peer.reasm.take(frame)
      if (!whole) return
      this.handle(peer, decodeFrame(whole))
    } catch (e) {
      this.peers.reject(peer, e)
    }
  }

  /** Asks every peer for what this node lacks. */
  resync(): void {
    const m: Message = { kind: 'sync1', sv: Y.encodeStateVector(this.ctx.rdoc.doc) }
    for (const p of this.peers) this.peers.send(p, m)
  }

  /**
   * Heartbeat (every `periodMs`): a BEAT to every peer; peers silent for longer than `timeoutMs`
   * count as down (their links stay, and a frame from them brings them back). A tick that comes late (this tab was frozen or its thread busy) judges nobody:
   * the silence may be this side's, so every peer gets a full timeout from now.
   */
  beat(timeoutMs: number, periodMs: number): void {
    const now = Date.now()
    const beat: Message = { kind: 'beat' }
    const late = now - this.lastTick > 2 * periodMs
    this.lastTick = now
    for (const p of [...this.peers]) {
      if (p.cut) continue
      if (late) p.heard = Math.max(p.heard, now)
      if (now - p.heard > timeoutMs) this.peers.silent(p)
      this.peers.send(p, beat)
    }
  }

  /** The document changed (origin: LOCAL, or the Peer whose update it was). */
  docUpdated(update: Uint8Array, from: Peer | null): void {
    if (from === null) {
      const m: Message = { kind: 'update', update, ack: this.acks.next() }
      for (const p of this.peers) this.peers.send(p, m)
      this.store.persist(update)
      return
    }
    // Relayed to the peers that may not have it: not to those that share a mesh with the sender
    // (a sync server's room: the sender sent it to them itself).
    const m: Message = { kind: 'update', update, ack: 0 }
    const mesh = from.pipe.mesh
    for (const p of this.peers) if (p !== from && (mesh === undefined || p.pipe.mesh !== mesh)) this.peers.send(p, m)
  }

  private handle(peer: Peer, m: Message): void {
    switch (m.kind) {
      case 'hello':
        this.hello(peer, m.node, m.apart, m.answer === true)
        break
      case 'sync1': {
        let update: Uint8Array
        try {
          update = Y.encodeStateAsUpdate(this.ctx.rdoc.doc, m.sv)
        } catch {
          throw new WebnesiaError('bad_update', 'malformed state vector')
        }
        this.peers.send(peer, { kind: 'sync2', update })
        break
      }
      case 'sync2':
        this.inbound.apply(peer, m.update, 0, true)
        this.partitions.caughtUp(peer)
        break
      case 'update':
        this.inbound.apply(peer, m.update, m.ack)
        break
      case 'ack':
        this.acks.acked(peer, m.ack)
        break
      case 'preq':
      case 'preply':
        if (peer.node === null) throw new WebnesiaError('bad_update', 'a primary-table message before HELLO')
        primaryService(this.ctx.node)?.receive(this.port, peer.node, m.kind, m.id, m.body)
        break
      case 'beat':
        break
    }
  }

  private hello(peer: Peer, node: string, apartPairs: string[], answer: boolean): void {
    if (node === this.ctx.self) throw new WebnesiaError('bad_update', 'a peer claims this node id')
    if (peer.node !== null && peer.node !== node) throw new WebnesiaError('bad_update', 'a peer changed its node id')
    const first = peer.node === null
    // Answer with what this node changed while `node` was away (before `met` forgets it), unless
    // this side's own HELLO asking for an answer is on its way: both sides greeted at once. On a
    // link's first HELLO (after a heal) answer anyway: this side's HELLO may have been dropped (the
    // other side healed later, its link still cut), and a second HELLO is harmless.
    const reply = answer && (!peer.awaitingHello || first)
    peer.awaitingHello = false
    if (reply) this.peers.send(peer, { kind: 'hello', node: this.ctx.self, apart: this.partitions.apartPairs() })
    peer.node = node
    this.heard.set(node, Date.now())
    this.partitions.met(peer, node, apartPairs)
    if (first) {
      this.peers.nodeUp(node)
      this.peers.send(peer, { kind: 'sync1', sv: Y.encodeStateVector(this.ctx.rdoc.doc) })
    }
  }
}
