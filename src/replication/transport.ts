/**
 * The replication transport: how a node reaches its peers. The replicator knows nothing of
 * WebRTC, WebSockets or servers; it sees peers come and go as {@link Pipe}s.
 *
 *     transport.connect(peerUp) ──► peerUp(link)         a peer became reachable (peer up)
 *     link.send(frame)                                 one frame to that peer
 *     link.onData(fn)                                  frames from that peer, in order
 *     link.onClose(fn)                                 the peer is gone (peer down), called once
 *     link.close()                                     drop the peer (a hostile one, or leaving)
 *     the function connect resolved to                 leave: every open link closes
 *
 * A link is reliable, ordered and message-oriented (frame boundaries kept), for as long as it is
 * open; frames may be lost only by closing it. Frames are opaque here (wire.ts makes them: at most
 * 64 KiB plus a small header, first byte 0x57). Who the peer is, the
 * replicator learns from the peer's HELLO on the link, not from the transport; a transport may
 * hand over two links to one node (each is synced; the node is up while one is). A transport
 * must hold frames that arrive before `onData` is installed and hand them over when it is (a
 * data channel can open on one side first). A link closed by either side calls `onClose` once.
 *
 * Implementations:
 *
 * - **WebRTC** (`webrtc.ts`, `db.join`'s default): y-webrtc finds the room's peers through a
 *   signaling server; each data channel is one link.
 * - **In-memory** (`test/replication/network.ts`): a simulated network whose links a test
 *   opens, cuts and delays at will.
 * - **A sync server** (`sync-server.ts`: y-websocket's or Hocuspocus's server) fits the same shape: ONE
 *   WebSocket to a server that relays to many peers becomes one link per peer. The peer list is
 *   learned from awareness (each client publishes its connection id; an added client is `peerUp`
 *   with a fresh link, a removed or timed-out one closes it); `link.send` posts the frame as an
 *   envelope addressed to that peer in the sender's outbox in the room's doc (outbox.ts), and the
 *   transport hands the envelopes addressed to this connection to the link of their sender (a
 *   frame from a member not yet seen in awareness opens its link). Closing a link sends a `bye`
 *   envelope, so the far side closes it too. The WebSocket closing closes every link;
 *   reconnecting hands over fresh links (the peers then HELLO and SYNC again, as after any
 *   reconnection). Its links share a `mesh`: the replicator does not relay between them.
 *   `test/replication/relay.ts` simulates a routing server and transport, and replication runs
 *   over it unchanged (relay.test.ts).
 *
 * @module
 */
/** One peer as a transport presents it (a link): a reliable, ordered, message-oriented connection. */
export interface Pipe {
  /**
   * Links with the same `mesh` reach each other directly: every member of a sync server's room
   * hears every other, so a peer's update is not relayed to the others on its mesh (it sent it
   * to them itself). Links without one (WebRTC: y-webrtc's partial mesh) get every relay.
   */
  readonly mesh?: object
  /**
   * Sends one frame.
   * @throws the transport's own error, or nothing, once the link is closed (either is allowed: the
   * replicator stops sending on `onClose`)
   */
  send(frame: Uint8Array): void
  /**
   * Installs the receiver of frames (frames that arrived before are handed to it at once).
   * @throws Nothing: an error thrown by `fn` is the transport's to report.
   */
  onData(fn: (frame: Uint8Array) => void): void
  /**
   * Installs the close handler: the peer is gone (called once, whichever side closed).
   * @throws Nothing.
   */
  onClose(fn: () => void): void
  /**
   * Closes the link (the peer sees it closed too).
   * @throws Nothing: closing a closed link does nothing.
   */
  close(): void
}

/** Called by a transport for every peer that becomes reachable. */
export type PeerUp = (link: Pipe) => void

/** Disconnects a transport: every link it opened closes. */
export type Disconnect = () => void

/** How a node reaches its peers (see the module comment for the contract). */
export interface Transport {
  /**
   * Connects to the room; hands each peer reachable now or later to `peerUp`.
   * @throws (or rejects with) the transport's error when it cannot connect: `db.join` rejects with it.
   */
  connect(peerUp: PeerUp): Disconnect | Promise<Disconnect>
}

/** A transport, or just its `connect` function (`db.join({ transport: (peerUp) => … })`). */
export type TransportLike = Transport | Transport['connect']

/** The {@link Transport} of a {@link TransportLike}. */
export function asTransport(t: TransportLike): Transport {
  return typeof t === 'function' ? { connect: t } : t
}

/**
 * Several transports as one (`db.join({ room, server, signaling })`: a sync server and WebRTC at
 * once): every link of each is handed over, and disconnecting disconnects them all. A peer reached
 * both ways gets two links, which the replicator syncs both (the node is up while one is).
 */
export function combine(transports: readonly Transport[]): Transport {
  if (transports.length === 1) return transports[0] as Transport
  return {
    connect: async (peerUp) => {
      const stops: Disconnect[] = []
      try {
        for (const t of transports) stops.push(await t.connect(peerUp))
      } catch (e) {
        for (const s of stops) s()
        throw e
      }
      return () => {
        for (const s of stops) s()
      }
    },
  }
}
