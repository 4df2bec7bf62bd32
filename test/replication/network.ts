/**
 * An in-memory network for replication tests (like yjs's TestConnector): ordered, reliable pipes
 * between nodes, delivered on microtasks, that a test can cut and reconnect at will. Each node's
 * end is a {@link Transport} (src/replication/transport.ts), as WebRTC is in browsers. Message
 * faults (drop, duplicate, delay) come from the replicator's own fault hook.
 */
import type { Database, Pipe } from '../../src/index.js'
import type { PeerUp, Transport } from '../../src/replication/transport.js'

interface End extends Pipe {
  deliver(d: Uint8Array): void
  closed: boolean
}

/** The network: nodes attach; `connect(a, b)` opens a pipe between two of them. */
export class Network {
  private readonly attach = new Map<number, PeerUp>()
  private readonly links = new Map<string, [End, End]>()
  private inflight = 0
  /** Messages delivered so far. */
  delivered = 0
  private waiters: (() => void)[] = []

  /** The `transport` option of `db.join` for node `i`. */
  transport(i: number): Transport {
    return {
      connect: (peerUp) => {
        this.attach.set(i, peerUp)
        return () => {
          this.attach.delete(i)
          for (const [id, [a, b]] of this.links) {
            if (id.split('-').includes(String(i))) {
              this.links.delete(id)
              a.close()
              b.close()
            }
          }
        }
      },
    }
  }

  private end(other: () => End): End {
    let onData: ((d: Uint8Array) => void) | null = null
    let onClose: (() => void) | null = null
    const queue: Uint8Array[] = []
    // Frames that arrive before the receiver listens wait, and reach it the moment it does (as
    // src/replication/webrtc.ts does with a data channel that opened first on the other side).
    const early: Uint8Array[] = []
    const e: End = {
      closed: false,
      send: (d) => {
        if (e.closed) return
        other().deliver(d.slice())
      },
      deliver: (d) => {
        if (e.closed) return
        queue.push(d)
        this.inflight++
        queueMicrotask(() => {
          const x = queue.shift() as Uint8Array
          try {
            this.delivered++
            if (!e.closed) {
              if (onData) onData(x)
              else early.push(x)
            }
          } finally {
            if (--this.inflight === 0) for (const w of this.waiters.splice(0)) w()
          }
        })
      },
      onData: (fn) => {
        onData = fn
        for (const d of early.splice(0)) fn(d)
      },
      onClose: (fn) => {
        onClose = fn
      },
      close: () => {
        if (e.closed) return
        e.closed = true
        onClose?.()
        other().close()
      },
    }
    return e
  }

  /** Opens a pipe between nodes a and b (both must have joined). */
  connect(a: number, b: number): void {
    const link = this.link(a, b)
    if (!link) return
    link.fa(link.ea)
    link.fb(link.eb)
  }

  /**
   * Opens a pipe between nodes `late` and `other`, where `late` takes it only after the other
   * side's first frames have arrived at its end (a data channel that opened on one side first).
   */
  async connectLate(late: number, other: number): Promise<void> {
    const link = this.link(late, other)
    if (!link) return
    link.fb(link.eb)
    await new Promise((resolve) => setTimeout(resolve, 0))
    link.fa(link.ea)
  }

  private link(a: number, b: number): { fa: PeerUp; fb: PeerUp; ea: End; eb: End } | null {
    const id = `${String(Math.min(a, b))}-${String(Math.max(a, b))}`
    if (this.links.has(id)) return null
    const fa = this.attach.get(a)
    const fb = this.attach.get(b)
    if (!fa || !fb) return null
    const ends: End[] = []
    const ea = this.end(() => ends[1] as End)
    const eb = this.end(() => ea)
    ends.push(ea, eb)
    this.links.set(id, [ea, eb])
    return { fa, fb, ea, eb }
  }

  /** Closes the pipe between a and b. */
  disconnect(a: number, b: number): void {
    const id = `${String(Math.min(a, b))}-${String(Math.max(a, b))}`
    const l = this.links.get(id)
    if (!l) return
    this.links.delete(id)
    l[0].close()
  }

  /** True when a and b are connected. */
  connected(a: number, b: number): boolean {
    return this.links.has(`${String(Math.min(a, b))}-${String(Math.max(a, b))}`)
  }

  /** True when no message is in flight. */
  get idle(): boolean {
    return this.inflight === 0
  }

  /** Resolves when no message is in flight. */
  drained(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve()
    return new Promise((r) => this.waiters.push(r))
  }
}

/** Waits until no message is in flight and every replicator has committed what it received. */
export async function quiet(net: Network, dbs: readonly Database[]): Promise<void> {
  for (;;) {
    const before = net.delivered
    await net.drained()
    for (const db of dbs) await db.replication?.idle()
    // Nothing arrived while the replicators worked: everything is settled.
    if (net.idle && net.delivered === before) return
  }
}
