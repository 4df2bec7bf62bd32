/**
 * The WebRTC transport: y-webrtc finds the peers of a room through a signaling server (and its
 * room password encrypts the signaling, so a peer with the wrong password never connects), and
 * each of its peer connections becomes a {@link Pipe} for the replicator (the {@link Transport}
 * contract: transport.ts). A data channel's `connect` is peer up, its `close` peer down.
 *
 * y-webrtc synchronises a Y.Doc of its own over those connections; webnesia gives it an empty one
 * and sends its own frames (first byte {@link MAGIC}) over the same data channels: they are taken
 * off before y-webrtc's message handler sees them. `filterBcConns: false` makes y-webrtc open
 * real WebRTC connections even to peers it also reaches over BroadcastChannel.
 *
 * @module
 */
import * as Y from 'yjs'
import { WebnesiaError } from '../errors.js'
import type { Disconnect, Pipe, PeerUp, Transport } from './transport.js'
import { webrtcPeerOpts, type WrtcImplementation } from './webrtc-runtime.js'
import { MAGIC } from './wire.js'

/** Options of the WebRTC transport (`db.join`). */
export interface WebrtcOptions {
  room: string
  /** Signaling servers, e.g. `['ws://127.0.0.1:4444']` (y-webrtc's default is a public server). */
  signaling: string[]
  /** Room password: encrypts signaling; peers with another password never connect. */
  password?: string
  /** Passed to each WebRTC peer (simple-peer), e.g. `{ config: { iceServers: [] } }`. */
  peerOpts?: Record<string, unknown>
  /** Most connections to keep (default 20). */
  maxConns?: number
  /**
   * A WebRTC implementation where the runtime has none (simple-peer's `wrtc`), e.g.
   * `await import('@roamhq/wrtc')`. On Node it defaults to `node-datachannel/polyfill` when that
   * package is installed (webrtc-runtime.ts); browsers use their own.
   */
  wrtc?: WrtcImplementation
}

interface SimplePeerLike {
  send(data: Uint8Array): void
  on(ev: string, fn: (...args: never[]) => void): void
  once(ev: string, fn: (...args: never[]) => void): void
  listeners(ev: string): ((data: Uint8Array) => void)[]
  removeAllListeners(ev: string): void
}
interface ConnLike {
  peer: SimplePeerLike
  destroy(): void
}
interface RoomLike {
  webrtcConns: Map<string, ConnLike>
}

/** The WebRTC transport of a room. */
export function webrtcTransport(opts: WebrtcOptions): Transport {
  return { connect: (peerUp) => connect(opts, peerUp) }
}

/** Opens the room; every new connection is handed to `attach`. Resolves to the stop function. */
async function connect(opts: WebrtcOptions, attach: PeerUp): Promise<Disconnect> {
  if (!Array.isArray(opts.signaling) || opts.signaling.length === 0) {
    throw new WebnesiaError('badarg', 'join: signaling must list at least one server (e.g. ws://127.0.0.1:4444)')
  }
  const peerOpts = await webrtcPeerOpts(opts.wrtc, opts.peerOpts)
  const { WebrtcProvider } = await import('y-webrtc')
  const doc = new Y.Doc()
  const provider = new WebrtcProvider(opts.room, doc, {
    signaling: opts.signaling,
    password: opts.password ?? null,
    peerOpts,
    maxConns: opts.maxConns ?? 20,
    filterBcConns: false,
  } as ConstructorParameters<typeof WebrtcProvider>[2])
  await (provider as unknown as { key: Promise<unknown> }).key
  const room = (provider as unknown as { room: RoomLike | null }).room
  if (!room) {
    provider.destroy()
    throw new WebnesiaError('badarg', `join: could not open room ${opts.room}`)
  }
  const conns = room.webrtcConns
  const set = conns.set.bind(conns)
  conns.set = (id: string, conn: ConnLike) => {
    if (!conns.has(id) || conns.get(id) !== conn) wrap(conn, attach)
    return set(id, conn)
  }
  return () => {
    provider.destroy()
    doc.destroy()
  }
}

function wrap(conn: ConnLike, attach: PeerUp): void {
  const peer = conn.peer
  const theirs = peer.listeners('data')
  peer.removeAllListeners('data')
  let onData: ((d: Uint8Array) => void) | null = null
  let onClose: (() => void) | null = null
  const early: Uint8Array[] = []
  peer.on('data', (data: Uint8Array) => {
    if (data[0] === MAGIC) {
      if (onData) onData(data)
      else early.push(data)
    } else {
      for (const h of theirs) h.call(peer, data)
    }
  })
  const pipe: Pipe = {
    send: (d) => {
      peer.send(d)
    },
    onData: (fn) => {
      onData = fn
      for (const d of early.splice(0)) fn(d)
    },
    onClose: (fn) => {
      onClose = fn
    },
    close: () => {
      conn.destroy()
    },
  }
  peer.once('connect', () => {
    attach(pipe)
  })
  peer.once('close', () => {
    onClose?.()
  })
}
