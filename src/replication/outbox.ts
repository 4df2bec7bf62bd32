/**
 * The envelopes of the sync-server transport (sync-server.ts) in the room's Y.Doc, the one thing
 * such a server relays to every client: how a connection posts frames to other connections, and
 * how it reads the ones posted to it.
 *
 *     Y.Array "wn:<sid>"     the outbox of connection sid: only sid pushes to it
 *     [FRAME][to][frame]     a frame for one recipient
 *     [PAYLOAD][frame]       a frame for several, followed by one SHARED per recipient:
 *     [SHARED][to][back]     the frame of the PAYLOAD `back` clocks before this envelope
 *     [BYE][to]              the sender closed its link to `to`
 *     [PULSE]                the sender lives (a BEAT to every peer): a later one stands for
 *                            an earlier one, so the sender deletes its previous pulse itself
 *
 * A recipient reads its envelopes in the transaction that brings them, in the sender's order
 * (its pushes have rising clocks), and deletes them; the sender deletes a PAYLOAD once every
 * SHARED of it is deleted, and the unread envelopes of a link that closed. Nobody deletes an
 * envelope before its recipient read it: the servers may merge a push and a delete into one
 * update (Hocuspocus's Redis extension passes documents between instances by state vectors),
 * and a deleted envelope's content is gone.
 *
 * Why one outbox per sender: Yjs keeps a struct for every deleted item, and merges neighbours
 * only when one client wrote them with consecutive clocks. The outbox's envelopes are exactly
 * that, so once read they fold into one tombstone, and a push (which walks the array) stays
 * cheap. A mailbox per recipient, written by every sender, grows a tombstone per envelope in
 * every client's doc (at 20 nodes, the push walk was a third of the run).
 *
 * Why PAYLOAD: the replicator sends the same frame objects to every peer (an update to all:
 * wire.ts), and every client receives every envelope; the frame goes once, not once per peer.
 *
 * Why PULSE: a heartbeat to n peers as n envelopes would cost every client n structs per sender
 * and period, n² in all (at 100 nodes, a million structs a second over the process of the scale
 * run). A pulse is one struct for all, and needs no reader to delete it: a pulse merged away
 * with its deletion (by the servers, as above) is replaced by the newer one.
 *
 * @module
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** The most envelope bytes pushed in one Yjs transaction (one WebSocket message). */
export const BATCH_BYTES = 512 * 1024

/**
 * How soon read envelopes and free payloads are deleted when nothing is being sent (ms). Longer
 * than the replicator's heartbeat, so the deletes ride along with the next frame sent: a delete
 * of its own would be one more message to every client.
 */
export const HOUSEKEEP_MS = 1500

export const FRAME = 0
export const BYE = 1
const PAYLOAD = 2
const SHARED = 3
export const PULSE = 4
export const PREFIX = 'wn:'

/** A frame (or a bye) handed to {@link Outbox.post}. */
interface Send {
  to: string
  kind: number
  frame: Uint8Array | undefined
}

/** A frame going to the recipients it was sent to in a row. */
interface Group {
  kind: number
  to: string[]
  frame: Uint8Array | undefined
}

/** A live envelope this connection posted. */
interface Posted {
  to: string
  item: Y.Item
  payload: Shared | null
}

/** A PAYLOAD this connection posted and the number of its SHARED not deleted yet. */
interface Shared {
  item: Y.Item
  left: number
}

/**
 * Groups a task's sends: a frame object sent to several peers goes once, to all of them, unless
 * one of them was sent something after it (each recipient gets its frames in the order sent).
 */
export function group(sends: readonly Send[]): Group[] {
  const out: Group[] = []
  const last = new Map<string, number>() // recipient → index of the last group to it
  const carrying = new Map<Uint8Array, number>() // frame → index of the last group with it
  for (const m of sends) {
    const i = m.frame === undefined ? undefined : carrying.get(m.frame)
    if (i !== undefined && (last.get(m.to) ?? -1) < i) {
      ;(out[i] as Group).to.push(m.to)
      last.set(m.to, i)
      continue
    }
    out.push({ kind: m.kind, to: [m.to], frame: m.frame })
    if (m.frame !== undefined) carrying.set(m.frame, out.length - 1)
    last.set(m.to, out.length - 1)
  }
  return out
}

function envelope(kind: number, to: string | null, tail: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeUint8(e, kind)
  if (to !== null) encoding.writeVarString(e, to)
  tail(e)
  return encoding.toUint8Array(e)
}

/** An envelope to push: its recipient (null: a PAYLOAD or the pulse), and whether it is a SHARED. */
interface Encoded {
  bytes: Uint8Array
  to: string | null
  shared: boolean
}

const PULSE_ENVELOPE: Encoded = { to: null, shared: false, bytes: Uint8Array.of(PULSE) }

/** The envelopes of a group. */
function encodeGroup(g: Group): Encoded[] {
  const frame = g.frame
  if (g.to.length === 1 || frame === undefined) {
    return g.to.map((to) => ({
      to,
      shared: false,
      bytes: envelope(g.kind, to, (e) => {
        if (frame) encoding.writeUint8Array(e, frame)
      }),
    }))
  }
  const out: Encoded[] = [{ to: null, shared: false, bytes: envelope(PAYLOAD, null, (e) => encoding.writeUint8Array(e, frame)) }]
  g.to.forEach((to, j) => out.push({ to, shared: true, bytes: envelope(SHARED, to, (e) => encoding.writeVarUint(e, j + 1)) }))
  return out
}

const bytesOf = (item: Y.Item): Uint8Array | null => (item.content instanceof Y.ContentBinary ? (item.content.getContent()[0] as Uint8Array) : null)

/** One connection's outbox, and its reading of the envelopes posted to it. */
export class Outbox {
  private sends: Send[] = []
  private pulsing = false // a pulse is due in the next flush
  private lastPulse: Y.Item | null = null
  private readonly posted = new Map<number, Posted>() // clock → live envelope of this connection
  private readonly byPeer = new Map<string, Set<number>>() // recipient → clocks of its live envelopes
  private readonly trash = new Set<Y.Item>() // to delete in this connection's next transaction
  private readonly names = new Map<unknown, string>() // root type → name
  private timer: ReturnType<typeof setTimeout> | undefined
  private flushing = false
  private stopped = false

  /**
   * @param sid this connection's id (its outbox's name)
   * @param deliver an envelope posted to this connection, from connection `from`
   * @param housekeepMs see {@link HOUSEKEEP_MS}
   */
  constructor(
    private readonly doc: Y.Doc,
    private sid: string,
    private readonly deliver: (from: string, kind: number, frame: Uint8Array | undefined) => void,
    private readonly housekeepMs = HOUSEKEEP_MS,
  ) {
    doc.on('afterTransaction', this.onTransaction)
  }

  /** Posts a frame (or a bye) to connection `to`; the task's posts go in one transaction. */
  post(to: string, kind: number, frame?: Uint8Array): void {
    if (!this.flushing) {
      this.flushing = true
      queueMicrotask(() => this.flush())
    }
    this.sends.push({ to, kind, frame })
  }

  /** Posts a pulse (this connection lives) to every connection; one per task. */
  pulse(): void {
    this.pulsing = true
    if (!this.flushing) {
      this.flushing = true
      queueMicrotask(() => this.flush())
    }
  }

  /** The link to `to` closed: its unread envelopes are deleted. */
  forget(to: string): void {
    for (const clock of this.byPeer.get(to) ?? []) {
      const p = this.posted.get(clock)
      if (p) this.trash.add(p.item)
    }
    this.byPeer.delete(to)
    this.housekeep()
  }

  /** A new connection, a new id: the old outbox's envelopes are for links that are gone. */
  renew(sid: string): void {
    const old = this.outbox()
    if (old.length > 0) this.doc.transact(() => old.delete(0, old.length))
    this.posted.clear()
    this.byPeer.clear()
    this.sends = []
    this.lastPulse = null
    this.sid = sid
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
    this.doc.off('afterTransaction', this.onTransaction)
  }

  private outbox(): Y.Array<Uint8Array> {
    return this.doc.getArray<Uint8Array>(PREFIX + this.sid)
  }

  private housekeep(): void {
    if (this.trash.size === 0 || this.flushing || this.timer !== undefined || this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush()
    }, this.housekeepMs)
  }

  /** Deletes the trash and pushes the task's envelopes, at most BATCH_BYTES per transaction. */
  private flush(): void {
    this.flushing = false
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.stopped) return
    const groups = group(this.sends).map(encodeGroup)
    if (this.pulsing) groups.push([PULSE_ENVELOPE])
    this.pulsing = false
    this.sends = []
    const box = this.outbox()
    const store = this.doc.store
    let i = 0
    do {
      this.doc.transact((tr) => {
        for (const item of this.trash) if (!item.deleted) item.delete(tr)
        this.trash.clear()
        const batch: Encoded[] = []
        let size = 0
        while (i < groups.length) {
          const g = groups[i] as Encoded[]
          const bytes = g.reduce((n, e) => n + e.bytes.length, 0)
          if (size > 0 && size + bytes > BATCH_BYTES) break
          size += bytes
          batch.push(...g)
          i++
        }
        if (batch.length === 0) return
        const start = Y.getState(store, this.doc.clientID)
        box.push(batch.map((e) => e.bytes))
        // Each envelope is one struct (binary content never merges), at the clocks from `start`.
        const structs = store.clients.get(this.doc.clientID) ?? []
        let payload: Shared | null = null
        for (let k = Y.findIndexSS(structs, start), j = 0; j < batch.length; k++, j++) {
          const item = structs[k] as Y.Item
          const { to, shared } = batch[j] as Encoded
          if (to === null) {
            if (batch[j] === PULSE_ENVELOPE) {
              this.lastPulse?.delete(tr)
              this.lastPulse = item
            } else payload = { item, left: 0 }
            continue
          }
          if (shared && payload) payload.left++
          this.posted.set(item.id.clock, { to, item, payload: shared ? payload : null })
          let mine = this.byPeer.get(to)
          if (!mine) this.byPeer.set(to, (mine = new Set()))
          mine.add(item.id.clock)
        }
      })
    } while (i < groups.length)
  }

  /**
   * Every transaction: deletes of this connection's envelopes settle them (a PAYLOAD whose SHARED
   * are all deleted goes to the trash); one from the server also brings envelopes to read.
   */
  private readonly onTransaction = (tr: Y.Transaction): void => {
    if (this.stopped) return
    for (const d of tr.deleteSet.clients.get(this.doc.clientID) ?? []) {
      for (let clock = d.clock; clock < d.clock + d.len; clock++) {
        const p = this.posted.get(clock)
        if (!p) continue
        this.posted.delete(clock)
        this.byPeer.get(p.to)?.delete(clock)
        if (p.payload && --p.payload.left === 0) this.trash.add(p.payload.item)
      }
    }
    if (!tr.local) this.read(tr)
    this.housekeep()
  }

  /** The envelopes to this connection that a transaction from the server added, in order. */
  private read(tr: Y.Transaction): void {
    const got: [string, number, Uint8Array | undefined][] = []
    tr.afterState.forEach((clock, client) => {
      const before = tr.beforeState.get(client) ?? 0
      if (clock === before || client === this.doc.clientID) return
      const structs = this.doc.store.clients.get(client) ?? []
      let i = structs.length
      while (i > 0 && (structs[i - 1] as Y.Item | Y.GC).id.clock >= before) i--
      for (; i < structs.length; i++) {
        const item = structs[i]
        if (!(item instanceof Y.Item) || item.parentSub !== null) continue
        const bytes = bytesOf(item)
        const from = bytes && this.outboxOf(item.parent)
        if (!bytes || !from || from === this.sid) continue
        const m = this.open(structs, item, bytes)
        if (m === null) continue
        got.push([from, m.kind, m.frame])
        if (m.kind !== PULSE) this.trash.add(item) // a pulse is its sender's to delete
      }
    })
    for (const [from, kind, frame] of got) this.deliver(from, kind, frame)
  }

  /** An envelope to this connection: its kind and frame (null: not one, or not to it). */
  private open(structs: readonly (Y.Item | Y.GC)[], item: Y.Item, bytes: Uint8Array): { kind: number; frame: Uint8Array | undefined } | null {
    const d = decoding.createDecoder(bytes)
    try {
      const kind = decoding.readUint8(d)
      if (kind === PULSE) return { kind, frame: undefined }
      if (kind === PAYLOAD || decoding.readVarString(d) !== this.sid) return null
      if (kind === BYE) return { kind, frame: undefined }
      if (kind === FRAME) return { kind, frame: bytes.subarray(d.pos) }
      if (kind !== SHARED) return null
      const at = item.id.clock - decoding.readVarUint(d)
      const p = structs[Y.findIndexSS(structs as (Y.Item | Y.GC)[], at)]
      const body = p instanceof Y.Item && p.id.clock === at ? bytesOf(p) : null
      if (body === null || body[0] !== PAYLOAD) return null
      return { kind: FRAME, frame: body.subarray(1) }
    } catch {
      return null // not an envelope (another app, or hostile): dropped
    }
  }

  /** The sender whose outbox `type` is (null: another root, or a nested type). */
  private outboxOf(type: unknown): string | null {
    let name = this.names.get(type)
    if (name === undefined) {
      for (const [n, t] of this.doc.share) this.names.set(t, n)
      name = this.names.get(type)
    }
    return name !== undefined && name.startsWith(PREFIX) ? name.slice(PREFIX.length) : null
  }
}
