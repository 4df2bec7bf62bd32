/**
 * The replication wire: what one node says to another over a {@link Pipe}, and how.
 *
 * A pipe is a reliable, ordered, message-oriented connection to one peer (transport.ts: a WebRTC
 * data channel in browsers, an in-memory link in tests). Messages are framed by this module:
 *
 *     frame   = MAGIC, kind, body
 *     kind 1  HELLO   node id, tables this node wrote while the receiver was away, and whether
 *                     the sender asks for a HELLO back (it lost the receiver and heard it again)
 *     kind 2  SYNC1   the sender's state vector (the receiver answers with SYNC2)
 *     kind 3  SYNC2   an update holding everything the state vector lacked
 *     kind 4  UPDATE  an update, and an ack id (0: none wanted)
 *     kind 5  ACK     an ack id: the update carrying it is durable on the sender
 *     kind 6  PREQ    a request id and a body: a commit or read validation for a primary table
 *     kind 7  PREPLY  a request id and a body: the primary's answer (src/primary/messages.ts)
 *     kind 15 BEAT    nothing: the sender lives (sent every heartbeat period)
 *     kind 9  CHUNK   message id, index, count, a slice of a larger message
 *
 * WebRTC data channels drop messages over 256 KiB silently (and y-webrtc swallows the error), so
 * every message over {@link CHUNK_SIZE} travels as chunks and is reassembled on arrival; a peer
 * announcing more than {@link MAX_MESSAGE} bytes is refused.
 *
 * Everything received is decoded defensively: {@link decodeFrame} either returns a well-formed
 * message or throws a {@link WebnesiaError} with code `'bad_update'`.
 *
 * @module
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { WebnesiaError } from '../errors.js'
import { checkAny } from './guard.js'
import type { Pipe } from './transport.js'

/** First byte of every webnesia frame (y-webrtc's own messages start with 0–4). */
export const MAGIC = 0x57
/** Largest frame sent in one piece (well under WebRTC's 256 KiB message limit). */
export const CHUNK_SIZE = 64 * 1024
/** Largest message accepted (after reassembly). */
export const MAX_MESSAGE = 256 * 1024 * 1024

export type { Pipe } from './transport.js'

export type Message =
  | { kind: 'hello'; node: string; apart: string[]; answer?: boolean }
  | { kind: 'sync1'; sv: Uint8Array }
  | { kind: 'sync2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array; ack: number }
  | { kind: 'ack'; ack: number }
  | { kind: 'preq'; id: number; body: unknown }
  | { kind: 'preply'; id: number; body: unknown }
  | { kind: 'beat' }

const KIND = { hello: 1, sync1: 2, sync2: 3, update: 4, ack: 5, preq: 6, preply: 7, chunk: 9, beat: 15 } as const

/** A malformed message from a peer. */
export function badUpdate(message: string): WebnesiaError {
  return new WebnesiaError('bad_update', message)
}

/** Encodes a message as one frame (maybe larger than {@link CHUNK_SIZE}: see {@link chunk}). */
export function encodeMessage(m: Message): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeUint8(e, MAGIC)
  encoding.writeVarUint(e, KIND[m.kind])
  switch (m.kind) {
    case 'hello':
      encoding.writeVarString(e, m.node)
      encoding.writeVarUint(e, m.apart.length)
      for (const t of m.apart) encoding.writeVarString(e, t)
      if (m.answer === true) encoding.writeVarUint(e, 1)
      break
    case 'sync1':
      encoding.writeVarUint8Array(e, m.sv)
      break
    case 'sync2':
      encoding.writeVarUint8Array(e, m.update)
      break
    case 'update':
      encoding.writeVarUint8Array(e, m.update)
      encoding.writeVarUint(e, m.ack)
      break
    case 'ack':
      encoding.writeVarUint(e, m.ack)
      break
    case 'preq':
    case 'preply': {
      encoding.writeVarUint(e, m.id)
      const b = encoding.createEncoder()
      encoding.writeAny(b, m.body as Parameters<typeof encoding.writeAny>[1])
      encoding.writeVarUint8Array(e, encoding.toUint8Array(b))
      break
    }
    case 'beat':
      break
  }
  return encoding.toUint8Array(e)
}

/** The frame of a BEAT (the same bytes every time). */
export const BEAT_FRAME: Uint8Array = encodeMessage({ kind: 'beat' })

/** Whether a frame is a BEAT: a transport may carry it its own cheaper way (a sync server's pulse). */
export const isBeat = (frame: Uint8Array): boolean => frame.length === BEAT_FRAME.length && frame[0] === MAGIC && frame[1] === KIND.beat

let chunkIds = 0

/** Splits a frame into chunk frames of at most {@link CHUNK_SIZE} bytes of payload each. */
export function chunk(frame: Uint8Array, size = CHUNK_SIZE): Uint8Array[] {
  if (frame.length <= size) return [frame]
  const id = (chunkIds = (chunkIds + 1) % 0x3fffffff)
  const count = Math.ceil(frame.length / size)
  const out: Uint8Array[] = []
  for (let i = 0; i < count; i++) {
    const e = encoding.createEncoder()
    encoding.writeUint8(e, MAGIC)
    encoding.writeVarUint(e, KIND.chunk)
    encoding.writeVarUint(e, id)
    encoding.writeVarUint(e, i)
    encoding.writeVarUint(e, count)
    encoding.writeVarUint8Array(e, frame.subarray(i * size, (i + 1) * size))
    out.push(encoding.toUint8Array(e))
  }
  return out
}

/** Reassembles chunked messages of one pipe. */
export class Reassembler {
  private id = -1
  private parts: Uint8Array[] = []
  private bytes = 0

  /**
   * Takes one frame; returns a complete message frame (the frame itself when it was not a chunk)
   * or null while a chunked message is incomplete. Throws `bad_update` on a malformed chunk.
   */
  take(frame: Uint8Array): Uint8Array | null {
    if (frame[0] !== MAGIC) throw badUpdate('not a webnesia frame')
    if (frame[1] !== KIND.chunk) return frame
    try {
      const d = decoding.createDecoder(frame)
      decoding.readUint8(d)
      decoding.readVarUint(d)
      const id = decoding.readVarUint(d)
      const i = decoding.readVarUint(d)
      const count = decoding.readVarUint(d)
      const part = decoding.readVarUint8Array(d)
      if (count < 2 || count > MAX_MESSAGE / 1024 || i >= count) throw badUpdate('bad chunk numbering')
      if (i === 0) {
        this.id = id
        this.parts = []
        this.bytes = 0
      } else if (id !== this.id || i !== this.parts.length) {
        throw badUpdate('chunk out of order')
      }
      this.parts.push(part)
      this.bytes += part.length
      if (this.bytes > MAX_MESSAGE) throw badUpdate('message too large')
      if (this.parts.length < count) return null
      const whole = new Uint8Array(this.bytes)
      let at = 0
      for (const p of this.parts) {
        whole.set(p, at)
        at += p.length
      }
      this.id = -1
      this.parts = []
      this.bytes = 0
      return whole
    } catch (e) {
      this.id = -1
      this.parts = []
      this.bytes = 0
      if (e instanceof WebnesiaError) throw e
      throw badUpdate(`malformed chunk: ${String(e)}`)
    }
  }
}

/** Decodes one complete frame. Throws `bad_update` on anything malformed. */
export function decodeFrame(frame: Uint8Array): Message {
  try {
    const d = decoding.createDecoder(frame)
    if (decoding.readUint8(d) !== MAGIC) throw badUpdate('not a webnesia frame')
    const kind = decoding.readVarUint(d)
    let m: Message
    switch (kind) {
      case KIND.hello: {
        const node = decoding.readVarString(d)
        const n = decoding.readVarUint(d)
        if (n > 100_000) throw badUpdate('hello: too many tables')
        const apart: string[] = []
        for (let i = 0; i < n; i++) apart.push(decoding.readVarString(d))
        if (node.length === 0 || node.length > 200) throw badUpdate('hello: bad node id')
        m = { kind: 'hello', node, apart }
        if (decoding.hasContent(d)) {
          if (decoding.readVarUint(d) !== 1) throw badUpdate('hello: bad answer flag')
          m.answer = true
        }
        break
      }
      case KIND.sync1:
        m = { kind: 'sync1', sv: decoding.readVarUint8Array(d) }
        break
      case KIND.sync2:
        m = { kind: 'sync2', update: decoding.readVarUint8Array(d) }
        break
      case KIND.update:
        m = { kind: 'update', update: decoding.readVarUint8Array(d), ack: decoding.readVarUint(d) }
        break
      case KIND.ack:
        m = { kind: 'ack', ack: decoding.readVarUint(d) }
        break
      case KIND.preq:
      case KIND.preply: {
        const id = decoding.readVarUint(d)
        // The body is walked with every count checked against the bytes left (guard.ts).
        const body = checkAny(decoding.readVarUint8Array(d))
        m = kind === KIND.preq ? { kind: 'preq', id, body } : { kind: 'preply', id, body }
        break
      }
      case KIND.beat:
        m = { kind: 'beat' }
        break
      default:
        throw badUpdate(`unknown message kind ${String(kind)}`)
    }
    if (decoding.hasContent(d)) throw badUpdate('trailing bytes')
    return m
  } catch (e) {
    if (e instanceof WebnesiaError) throw e
    throw badUpdate(`malformed message: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** The frames of messages sent to several peers: encoded once, the same frame objects to each. */
const framesOf = new WeakMap<Message, Uint8Array[]>()

/**
 * Sends a message over a pipe, in chunks when large. One message object sent over several pipes
 * is encoded once, and each pipe gets the same frames (a sync server posts such a frame once for
 * all its recipients: outbox.ts). Pipes must not change the frames they are given.
 */
export function sendMessage(pipe: Pipe, m: Message): void {
  let frames = framesOf.get(m)
  if (frames === undefined) {
    frames = chunk(encodeMessage(m))
    framesOf.set(m, frames)
  }
  for (const f of frames) pipe.send(f)
}
