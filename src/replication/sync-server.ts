/**
 * The sync-server transport: replication through an existing Yjs WebSocket server, y-websocket's
 * (`@y/websocket-server`, `npx y-websocket`) or Hocuspocus (`@hocuspocus/server`), unmodified.
 * ONE WebSocket to the server becomes one {@link Pipe} per peer (the {@link Transport} contract,
 * transport.ts).
 *
 * What such a server relays, and so what this transport may use: the room's Y.Doc (every update
 * goes to every client of the room, and the server keeps the merged doc) and awareness (each
 * client's small state, broadcast, lossy: a newer state replaces an older one). Hocuspocus also
 * has stateless messages, but its server hands them to a hook and relays nothing by default, and
 * y-websocket's server drops every other message type. So:
 *
 *     awareness   { webnesia: sid }       who is here: an added sid is peer up, a removed one peer
 *                                         down once it is silent too
 *     doc         Y.Array "wn:<sid>"      the outbox of sid: its envelopes to other connections,
 *                                         each deleted once its recipient read it, and its
 *                                         heartbeat: one pulse for all peers (outbox.ts)
 *
 * A sid names one connection of one node (a fresh random one after every reconnect), so frames
 * sent to a previous connection never reach the links of the next one: the transport contract's
 * "reconnect → fresh links". A link is reliable and ordered while both connections live: Yjs
 * delivers every update once, and a sender's envelopes are read in the order it pushed them.
 * A task's frames go in one Yjs transaction (one WebSocket message).
 *
 * Every member hears every other through the server, so the links share a mesh (Pipe.mesh): the
 * replicator does not relay a peer's update to the others. The price of a server that
 * broadcasts: every client receives every envelope, so a frame for all peers goes once (a
 * PAYLOAD, outbox.ts) and a frame for one costs every client a small struct to skip.
 *
 * @module
 */
import * as Y from 'yjs'
import { WebnesiaError } from '../errors.js'
import { BYE, FRAME, Outbox, PULSE } from './outbox.js'
import type { Disconnect, Pipe, PeerUp, Transport } from './transport.js'
import { BEAT_FRAME, isBeat } from './wire.js'

/** Which server protocol the URL speaks. */
export type ServerKind = 'y-websocket' | 'hocuspocus'

/** Options of the sync-server transport (`db.join({ room, server })`). */
export interface SyncServerOptions {
  room: string
  /** The server's URL, e.g. `'ws://127.0.0.1:1234'` (the room is the document name). */
  server: string
  /** The server's protocol (default 'y-websocket'; Hocuspocus speaks its own). */
  serverKind?: ServerKind
}


interface AwarenessLike {
  clientID: number
  getStates(): Map<number, Record<string, unknown>>
  setLocalStateField(field: string, value: unknown): void
  on(ev: 'change', fn: (change: unknown, origin: unknown) => void): void
}

/** The server connection as this transport uses it, whichever provider makes it. */
export interface Relay {
  readonly awareness: AwarenessLike
  /** Connection status changes (true: connected). */
  onStatus(fn: (connected: boolean) => void): void
  destroy(): void
}

/** The sync-server transport of a room. */
export function syncServerTransport(opts: SyncServerOptions): Transport {
  if (typeof opts.server !== 'string' || !/^wss?:\/\/\S+$/.test(opts.server)) {
    throw new WebnesiaError('badarg', 'join: server must be a ws:// or wss:// URL (e.g. ws://127.0.0.1:1234)')
  }
  return {
    connect: async (peerUp) => {
      const doc = new Y.Doc()
      const relay = await openRelay(opts, doc)
      return roomLinks(doc, relay, peerUp)
    },
  }
}

/** Opens the server's provider for the room on `doc`. */
export async function openRelay(opts: SyncServerOptions, doc: Y.Doc): Promise<Relay> {
  const WS = (globalThis as { WebSocket?: unknown }).WebSocket ?? (await import('ws')).default
  if ((opts.serverKind ?? 'y-websocket') === 'hocuspocus') {
    const { HocuspocusProvider, HocuspocusProviderWebsocket } = await import('@hocuspocus/provider')
    const socket = new HocuspocusProviderWebsocket({ url: opts.server, WebSocketPolyfill: WS })
    const p = new HocuspocusProvider({ websocketProvider: socket, name: opts.room, document: doc })
    p.attach()
    return {
      awareness: p.awareness as unknown as AwarenessLike,
      onStatus: (fn) => p.on('status', (e: { status: string }) => fn(e.status === 'connected')),
      destroy: () => {
        p.destroy()
        socket.destroy()
      },
    }
  }
  const { WebsocketProvider } = await import('y-websocket')
  const p = new WebsocketProvider(opts.server, opts.room, doc, { WebSocketPolyfill: WS as typeof WebSocket, disableBc: true })
  return {
    awareness: p.awareness as unknown as AwarenessLike,
    onStatus: (fn) => p.on('status', (e: { status: string }) => fn(e.status === 'connected')),
    destroy: () => p.destroy(),
  }
}

interface Link {
  deliver(frame: Uint8Array): void
  gone(): void
}

/** How long a member whose awareness state timed out here may stay silent before its link closes (ms). */
export const LAPSE_MS = 30_000
/** How long a member the server removed from awareness may stay silent before its link closes (ms). */
export const LEAVE_MS = 5000

const newSid = (): string => Math.random().toString(36).slice(2, 10) + Date.now().toString(36)

/** Runs the links of one connection over its doc and awareness; returns the disconnect. */
export function roomLinks(doc: Y.Doc, relay: Relay, peerUp: PeerUp, grace = { lapseMs: LAPSE_MS, leaveMs: LEAVE_MS }): Disconnect {
  let sid = newSid()
  const links = new Map<string, Link>()
  const dropped = new Set<string>() // sids whose link closed: never reopened
  const heard = new Map<string, number>() // sid → envelopes read from it (a lapsed member speaking)
  let stopped = false
  const mesh = {} // every link of this connection is on the room's mesh (transport.ts)

  const open = (peer: string): Link => {
    let onData: ((f: Uint8Array) => void) | null = null
    let onClose: (() => void) | null = null
    let closed = false
    const early: Uint8Array[] = []
    const link: Link = {
      deliver: (f) => (onData ? onData(f) : early.push(f)),
      gone: () => {
        if (closed) return
        closed = true
        links.delete(peer)
        heard.delete(peer)
        clearTimeout(lapsed.get(peer))
        lapsed.delete(peer)
        dropped.add(peer)
        box.forget(peer)
        onClose?.()
      },
    }
    const pipe: Pipe = {
      mesh,
      send: (frame) => {
        // A heartbeat goes to all peers as one pulse (outbox.ts); any order, a later one stands in.
        if (closed) return
        if (isBeat(frame)) box.pulse()
        else box.post(peer, FRAME, frame)
      },
      onData: (fn) => {
        onData = fn
        for (const f of early.splice(0)) fn(f)
      },
      onClose: (fn) => {
        onClose = fn
      },
      close: () => {
        if (!closed && !stopped) box.post(peer, BYE)
        link.gone()
      },
    }
    links.set(peer, link)
    peerUp(pipe)
    return link
  }

  const receive = (from: string, kind: number, frame: Uint8Array | undefined): void => {
    if (links.has(from)) heard.set(from, (heard.get(from) ?? 0) + 1)
    if (kind === BYE) {
      links.get(from)?.gone()
      dropped.add(from)
      return
    }
    if (kind === PULSE) {
      links.get(from)?.deliver(BEAT_FRAME) // a pulse opens no link: it may be a gone member's last
      return
    }
    if (frame === undefined || dropped.has(from)) return
    // A frame from a member this side has not seen in awareness yet opens its link.
    const l = links.get(from) ?? open(from)
    l.deliver(frame)
  }
  const box = new Outbox(doc, sid, receive)

  // Awareness: who is in the room now. A member missing from it keeps its link while it speaks,
  // and loses it (with a bye, so both sides agree) once silent for a while: LEAVE_MS when the
  // server removed it (it left, or the server timed it out while it was busy or frozen), LAPSE_MS
  // when it only timed out here. Closing at once parted live members for good, since a closed
  // link's sid never reopens, and every later update between them was lost.
  const lapsed = new Map<string, ReturnType<typeof setTimeout>>()
  const members = (): Set<string> => {
    const out = new Set<string>()
    for (const [client, state] of relay.awareness.getStates()) {
      const s = state['webnesia']
      if (client !== relay.awareness.clientID && typeof s === 'string' && s !== sid) out.add(s)
    }
    return out
  }
  const lapse = (peer: string, ms: number): void => {
    const seen = heard.get(peer)
    lapsed.set(
      peer,
      setTimeout(() => {
        lapsed.delete(peer)
        if (heard.get(peer) !== seen) return lapse(peer, ms)
        box.post(peer, BYE) // it may live on, silent: both sides close
        links.get(peer)?.gone()
      }, ms),
    )
  }
  const onAwareness = (_change?: unknown, origin?: unknown): void => {
    if (stopped) return
    const now = members()
    for (const peer of now) {
      clearTimeout(lapsed.get(peer))
      lapsed.delete(peer)
    }
    for (const peer of links.keys()) if (!now.has(peer) && !lapsed.has(peer)) lapse(peer, origin === 'timeout' ? grace.lapseMs : grace.leaveMs)
    for (const peer of now) if (!links.has(peer) && !dropped.has(peer)) open(peer)
  }

  relay.onStatus((connected) => {
    if (stopped || connected) return
    // The connection dropped: every link closes; the next connection is a new member.
    for (const l of [...links.values()]) l.gone()
    sid = newSid()
    box.renew(sid)
    dropped.clear()
    relay.awareness.setLocalStateField('webnesia', sid)
  })
  relay.awareness.on('change', onAwareness)
  relay.awareness.setLocalStateField('webnesia', sid)

  return () => {
    if (stopped) return
    stopped = true
    for (const l of [...links.values()]) l.gone()
    box.stop()
    relay.destroy()
    doc.destroy()
  }
}
