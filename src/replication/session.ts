/**
 * A tab's part in a node's membership of a room (`db.join` … `db.leave`): contends for the
 * leader lock; while it leads, runs the {@link Replicator} and the transport, and beats so the
 * other tabs know it lives; while it follows, watches the beats and takes over a silent leader.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'
import type { LocalNode } from '../node.js'
import type { StorageType } from '../schema/table-def.js'
import type { Committer } from '../txn/committer.js'
import type { FaultOptions } from './faults.js'
import { contend, LEASE_MS, steal, wait, type Contender } from './leader.js'
import { announce, leaderBeat, publishCluster } from './node-link.js'
import { Replicator } from './replicator.js'
import { syncServerTransport, type SyncServerOptions } from './sync-server.js'
import { asTransport, combine, type Pipe, type Transport, type TransportLike } from './transport.js'
import { webrtcTransport, type WebrtcOptions } from './webrtc.js'

/** Options of `db.join`. */
export interface JoinOptions extends Partial<WebrtcOptions>, Partial<Omit<SyncServerOptions, 'room'>> {
  /** The room: every node joining the same room replicates with the others. */
  room: string
  /** Storage type of the copies this node adds of the cluster's tables (default 'disc_copies'). */
  copyType?: StorageType
  /** Fault injection on the replication transport (tests). */
  faults?: FaultOptions
  /** Anti-entropy period in ms (default 5000; 0: off). */
  resyncMs?: number
  /** How long `syncTransaction` waits for the peers' acknowledgements (default 5000 ms). */
  ackTimeoutMs?: number
  /** Every this many ms each peer is sent a heartbeat (default 1000; 0: none, and no peer times out). */
  heartbeatMs?: number
  /**
   * A peer heard nothing from for this long (its browser closed, its machine slept) is taken as
   * gone: its link is closed and `node_down` reported (default 5000 ms).
   */
  peerTimeoutMs?: number
  /** How long the replicating tab may stay silent (frozen) before another joined tab takes over (default 6000 ms). */
  leaseMs?: number
  /**
   * Connects the node to its peers instead of WebRTC (transport.ts; tests: an in-memory network):
   * a {@link Transport}, or its `connect` function. Connected once this tab leads (beside the
   * sync server, when `server` names one too).
   */
  transport?: TransportLike
}

/** One tab's membership in a room. */
export class Session {
  replicator: Replicator | null = null
  private disconnect: (() => void) | null = null
  private stop!: () => void
  private readonly stopped: Promise<void>
  private readonly abort = new AbortController()
  private beat: ReturnType<typeof setInterval> | null = null
  private watch: ReturnType<typeof setInterval> | null = null
  private lastBeat = Date.now()
  private leaving = false
  private readonly lease: number
  private readonly contender: Contender

  constructor(
    private readonly node: LocalNode,
    private readonly committer: Committer,
    private readonly opts: JoinOptions,
  ) {
    if (typeof opts !== 'object' || opts === null || typeof opts.room !== 'string' || opts.room.length === 0) {
      throw new WebnesiaError('badarg', 'join: room must be a non-empty string')
    }
    if (!opts.transport && opts.server === undefined && (!Array.isArray(opts.signaling) || opts.signaling.length === 0)) {
      throw new WebnesiaError('badarg', 'join: signaling must list at least one server (e.g. ws://127.0.0.1:4444)')
    }
    this.stopped = new Promise((r) => (this.stop = r))
    this.lease = opts.leaseMs ?? LEASE_MS
    this.contender = {
      lead: () => this.lead(),
      lost: () => {
        void this.lost()
      },
    }
  }

  /** Resolves once this tab leads (replication running) or another tab of the node does. */
  async start(): Promise<void> {
    const leads = await contend(this.node.name, this.contender, this.stopped, this.abort.signal)
    if (!leads) this.follow()
  }

  /** Becomes the node's replicating tab. */
  private async lead(): Promise<void> {
    if (this.leaving || this.replicator) return
    if (this.watch) clearInterval(this.watch)
    const r = new Replicator(this.node, this.committer, {
      copyType: this.opts.copyType,
      faults: this.opts.faults,
      resyncMs: this.opts.resyncMs,
      ackTimeoutMs: this.opts.ackTimeoutMs,
      heartbeatMs: this.opts.heartbeatMs,
      peerTimeoutMs: this.opts.peerTimeoutMs,
    })
    this.replicator = r
    await r.start()
    publishCluster(this.node, r)
    const transport = this.transport()
    this.disconnect = await transport.connect((pipe: Pipe) => {
      r.attach(pipe)
    })
    announce(this.node, true)
    this.node.systemEvent({ type: 'leader', tab: this.node.tab })
    this.beat = setInterval(() => {
      announce(this.node, true)
    }, this.lease / 6)
    ;(this.beat as { unref?: () => void }).unref?.()
  }

  /**
   * The transports `join`'s options name, all at once: a sync server (`server`), and the given
   * `transport` or else WebRTC (`signaling`; left out when only a server is named).
   */
  private transport(): Transport {
    const o = this.opts
    const ts: Transport[] = []
    if (o.server !== undefined) ts.push(syncServerTransport({ room: o.room, server: o.server, serverKind: o.serverKind }))
    if (o.transport) ts.push(asTransport(o.transport))
    else if (o.server === undefined || (o.signaling?.length ?? 0) > 0) {
      ts.push(webrtcTransport({ room: o.room, signaling: o.signaling ?? [], password: o.password, peerOpts: o.peerOpts, maxConns: o.maxConns, wrtc: o.wrtc }))
    }
    return combine(ts)
  }

  /** Watches the leader's beats; takes over when they stop (a frozen or dead leader tab). */
  private follow(): void {
    if (this.watch) clearInterval(this.watch)
    this.lastBeat = Date.now()
    this.watch = setInterval(() => {
      if (this.replicator || this.leaving) return
      const beat = leaderBeat(this.node)
      if (beat > this.lastBeat) this.lastBeat = beat
      if (Date.now() - this.lastBeat > this.lease) {
        this.lastBeat = Date.now()
        steal(this.node.name, this.contender, this.stopped)
      }
    }, this.lease / 6)
    ;(this.watch as { unref?: () => void }).unref?.()
  }

  /** Another tab took the lock (this one was silent too long): stop replicating, follow again. */
  private async lost(): Promise<void> {
    if (this.leaving) return
    await this.stopLeading()
    this.node.systemEvent({ type: 'leader_lost', tab: this.node.tab })
    this.follow()
    wait(this.node.name, this.contender, this.stopped, this.abort.signal)
  }

  private async stopLeading(): Promise<void> {
    if (this.beat) clearInterval(this.beat)
    this.beat = null
    this.disconnect?.()
    this.disconnect = null
    const r = this.replicator
    this.replicator = null
    if (r) {
      await r.stop()
      publishCluster(this.node, null)
    }
  }

  /** Leaves the room: stops replicating (if leading) and releases the leader lock. */
  async leave(): Promise<void> {
    if (this.leaving) return
    this.leaving = true
    this.abort.abort()
    if (this.watch) clearInterval(this.watch)
    const leading = this.replicator !== null
    await this.stopLeading()
    if (leading) announce(this.node, false)
    this.stop()
  }
}
