/**
 * A simulated sync server, as y-websocket's or Hocuspocus's would be: each node holds ONE
 * connection to it, the server relays every message to every other connection of the room (as
 * y-websocket's server broadcasts), and the members are learned from awareness (the server
 * announces the clients connected). {@link serverTransport} is the node's side: a
 * {@link Transport} that makes one pipe per member out of that one connection, frames travelling
 * in envelopes addressed to a member (receivers drop the others). It shows that the transport
 * contract (src/replication/transport.ts) fits a server transport without the replicator knowing.
 */
import type { Database, Pipe } from '../../src/index.js'
import type { Transport } from '../../src/replication/transport.js'

/** What travels between a client and the server. */
type Envelope = { awareness: number[] } | { from: number; to: number; frame: Uint8Array } | { from: number; to: number; bye: true }

/** The server: a room of connections, relaying everything, announcing membership. */
export class RelayServer {
  private readonly conns = new Map<number, (m: Envelope) => void>()
  private inflight = 0
  private waiters: (() => void)[] = []
  /** Envelopes delivered so far (to every connection, addressed to it or not). */
  delivered = 0

  /** A client connects: `deliver` gets everything relayed to it. */
  connect(client: number, deliver: (m: Envelope) => void): { send: (m: Envelope) => void; close: () => void } {
    this.conns.set(client, deliver)
    this.announce()
    return {
      send: (m) => {
        if (!this.conns.has(client)) return
        for (const [id, d] of this.conns) if (id !== client) this.post(d, m)
      },
      close: () => {
        if (this.conns.delete(client)) this.announce()
      },
    }
  }

  private announce(): void {
    const awareness = [...this.conns.keys()]
    for (const d of this.conns.values()) this.post(d, { awareness })
  }

  private post(d: (m: Envelope) => void, m: Envelope): void {
    this.inflight++
    queueMicrotask(() => {
      try {
        this.delivered++
        d(m)
      } finally {
        if (--this.inflight === 0) for (const w of this.waiters.splice(0)) w()
      }
    })
  }

  /** Resolves when nothing is in flight. */
  drained(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve()
    return new Promise((r) => this.waiters.push(r))
  }
}

/** Node `client`'s transport over one connection to the server: one pipe per other member. */
export function serverTransport(server: RelayServer, client: number): Transport {
  return {
    connect: (peerUp) => {
      const links = new Map<number, { pipe: Pipe; deliver: (f: Uint8Array) => void; gone: () => void }>()
      const open = (peer: number): void => {
        let onData: ((f: Uint8Array) => void) | null = null
        let onClose: (() => void) | null = null
        let closed = false
        const early: Uint8Array[] = []
        const gone = (): void => {
          if (closed) return
          closed = true
          links.delete(peer)
          onClose?.()
        }
        const pipe: Pipe = {
          send: (frame) => {
            if (!closed) conn.send({ from: client, to: peer, frame: frame.slice() })
          },
          onData: (fn) => {
            onData = fn
            for (const f of early.splice(0)) fn(f)
          },
          onClose: (fn) => {
            onClose = fn
          },
          close: () => {
            if (!closed) conn.send({ from: client, to: peer, bye: true })
            gone()
          },
        }
        links.set(peer, { pipe, deliver: (f) => (onData ? onData(f) : early.push(f)), gone })
        peerUp(pipe)
      }
      const conn = server.connect(client, (m) => {
        if ('awareness' in m) {
          // Awareness: a member added is a peer up, one removed a peer down.
          for (const id of m.awareness) if (id !== client && !links.has(id)) open(id)
          for (const [id, l] of [...links]) if (!m.awareness.includes(id)) l.gone()
          return
        }
        if (m.to !== client) return // relayed to everyone, addressed to someone else
        if ('bye' in m) {
          links.get(m.from)?.gone()
          return
        }
        // A frame from a member this side has not seen in awareness yet opens its link.
        if (!links.has(m.from)) open(m.from)
        links.get(m.from)?.deliver(m.frame)
      })
      return () => {
        conn.close()
        for (const l of [...links.values()]) l.gone()
      }
    },
  }
}

/** Waits until nothing is in flight at the server and every replicator has committed what it got. */
export async function settled(server: RelayServer, dbs: readonly Database[]): Promise<void> {
  for (;;) {
    const before = server.delivered
    await server.drained()
    for (const db of dbs) await db.replication?.idle()
    if (server.delivered === before) return
  }
}
