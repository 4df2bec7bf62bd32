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
 *     awareness   { webnesia: sid }       who is here: an added sid is peer up, a removed one peer down
 *     doc         Y.Array "wn:<sid>"      the mailbox of sid: senders push envelopes, sid reads
 *                                         them in order and deletes them
 *     envelope    [0][from sid][frame]    a frame from `from` to the mailbox's owner
 *                 [1][from sid]           bye: `from` closed the link
 *
 * A sid names one connection of one node (a fresh random one after every reconnect), so frames
 * sent to a previous connection never reach the links of the next one: the transport contract's
 * "reconnect → fresh links". A link is reliable and ordered while both connections live: Yjs
 * delivers every update once, and pushes of one sender to one mailbox keep their order (a push
 * goes after the last item its sender knows). Frames are batched per task into one Yjs
 * transaction (one WebSocket message), at most {@link BATCH_BYTES} each.
 *
 * Why a mailbox in the doc and not awareness or stateless messages: awareness drops all but the
 * latest state of a client, and stateless messages need server code. The price: every client of
 * the room receives every envelope (the servers broadcast doc updates), and a read-and-deleted
 * envelope leaves a small tombstone in the doc (Yjs garbage-collects the content). A closed
 * connection's mailbox is emptied by its node after it reconnects.
 *
 * @module
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { WebnesiaError } from '../errors.js'
import type { Disconnect, Pipe, PeerUp, Transport } from './transport.js'

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

/** The most envelope bytes sent in one Yjs transaction (one WebSocket message). */
export const BATCH_BYTES = 512 * 1024

const FRAME = 0
const BYE = 1
const PREFIX = 'wn:'

interface AwarenessLike {
  clientID: number
  getStates(): Map<number, Record<string, unknown>>
  setLocalStateField(field: string, value: unknown): void
  on(ev: 'change', fn: () => void): void
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
      return mailboxes(doc, relay, peerUp)
    },
  }
}

/** Opens the server's provider for the room on `doc`. */
async function openRelay(opts: SyncServerOptions, doc: Y.Doc): Promise<Relay> {
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

const newSid = (): string => Math.random().toString(36).slice(2, 10) + Date.now().toString(36)

/** Runs the links of one connection over its doc and awareness; returns the disconnect. */
export function mailboxes(doc: Y.Doc, relay: Relay, peerUp: PeerUp): Disconnect {
  let sid = newSid()
  const old: string[] = [] // this node's previous sids: their mailboxes are emptied once reconnected
  const links = new Map<string, Link>()
  const dropped = new Set<string>() // sids whose link closed: never reopened
  let outbox: { to: string; bytes: Uint8Array }[] = []
  let stopped = false
  const box = (id: string): Y.Array<Uint8Array> => doc.getArray<Uint8Array>(PREFIX + id)

  const flush = (): void => {
    const out = outbox
    outbox = []
    for (let i = 0; i < out.length; ) {
      let size = 0
      doc.transact(() => {
        while (i < out.length && (size === 0 || size + (out[i] as { bytes: Uint8Array }).bytes.length <= BATCH_BYTES)) {
          const m = out[i++] as { to: string; bytes: Uint8Array }
          size += m.bytes.length
          box(m.to).push([m.bytes])
        }
      })
    }
  }
  const post = (to: string, kind: number, frame?: Uint8Array): void => {
    const e = encoding.createEncoder()
    encoding.writeUint8(e, kind)
    encoding.writeVarString(e, sid)
    if (frame) encoding.writeUint8Array(e, frame)
    if (outbox.length === 0) queueMicrotask(flush)
    outbox.push({ to, bytes: encoding.toUint8Array(e) })
  }

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
        dropped.add(peer)
        onClose?.()
      },
    }
    const pipe: Pipe = {
      send: (frame) => {
        if (!closed) post(peer, FRAME, frame)
      },
      onData: (fn) => {
        onData = fn
        for (const f of early.splice(0)) fn(f)
      },
      onClose: (fn) => {
        onClose = fn
      },
      close: () => {
        if (!closed && !stopped) post(peer, BYE)
        link.gone()
      },
    }
    links.set(peer, link)
    peerUp(pipe)
    return link
  }

  // Awareness: who is in the room now.
  const members = (): Set<string> => {
    const out = new Set<string>()
    for (const [client, state] of relay.awareness.getStates()) {
      const s = state['webnesia']
      if (client !== relay.awareness.clientID && typeof s === 'string' && s !== sid) out.add(s)
    }
    return out
  }
  const onAwareness = (): void => {
    if (stopped) return
    const now = members()
    for (const [peer, l] of [...links]) if (!now.has(peer)) l.gone()
    for (const peer of now) if (!links.has(peer) && !dropped.has(peer)) open(peer)
  }

  // The mailbox: envelopes addressed to this connection, read in order, then deleted.
  let reading = false
  const read = (): void => {
    reading = false
    if (stopped) return
    const mine = box(sid)
    const items = mine.toArray()
    if (items.length === 0) return
    doc.transact(() => mine.delete(0, items.length))
    for (const bytes of items) receive(bytes)
  }
  const receive = (bytes: unknown): void => {
    if (!(bytes instanceof Uint8Array)) return // not an envelope (another app, or hostile): dropped
    let kind: number, from: string
    const d = decoding.createDecoder(bytes)
    try {
      kind = decoding.readUint8(d)
      from = decoding.readVarString(d)
    } catch {
      return
    }
    if (from === sid) return
    if (kind === BYE) {
      links.get(from)?.gone()
      dropped.add(from)
      return
    }
    if (kind !== FRAME || dropped.has(from)) return
    // A frame from a member this side has not seen in awareness yet opens its link.
    const l = links.get(from) ?? open(from)
    l.deliver(bytes.subarray(d.pos))
  }
  const onUpdate = (): void => {
    if (!reading) {
      reading = true
      queueMicrotask(read)
    }
  }
  doc.on('update', onUpdate)

  relay.onStatus((connected) => {
    if (stopped) return
    if (connected) {
      // Empty the mailboxes of this node's previous connections (frames no link will read).
      if (old.length > 0) {
        doc.transact(() => {
          for (const o of old.splice(0)) box(o).delete(0, box(o).length)
        })
      }
      return
    }
    // The connection dropped: every link closes; the next connection is a new member.
    for (const l of [...links.values()]) l.gone()
    old.push(sid)
    sid = newSid()
    dropped.clear()
    outbox = []
    relay.awareness.setLocalStateField('webnesia', sid)
  })
  relay.awareness.on('change', onAwareness)
  relay.awareness.setLocalStateField('webnesia', sid)
  onUpdate()

  return () => {
    if (stopped) return
    stopped = true
    for (const l of [...links.values()]) l.gone()
    doc.off('update', onUpdate)
    relay.destroy()
    doc.destroy()
  }
}
