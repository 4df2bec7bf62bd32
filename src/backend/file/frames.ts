/// <reference types="node" />
/**
 * Checksummed frames: the unit of every file the file backend writes (log and snapshot alike).
 *
 * ```
 *  ┌────────────┬────────────┬──────────────────────────────────────┐
 *  │ length u32 │ crc32  u32 │ payload: v8.serialize(value), length │
 *  └────────────┴────────────┴──────────────────────────────────────┘
 *    little-endian; crc32 (IEEE) over the payload
 * ```
 *
 * `v8.serialize` is Node's structured clone: it keeps what IndexedDB keeps (Dates, binary,
 * nested arrays and objects), so a value read back is what was written. A file is a sequence of
 * frames; reading stops at the first frame that is short or whose checksum does not match (a
 * torn tail: the write that a crash cut short), and reports where the good frames end so the
 * caller can cut the file there.
 *
 * @module
 */
import { deserialize, serialize } from 'node:v8'

const HEADER = 8
/** Frames larger than this are refused when read (a corrupt length never allocates gigabytes). */
export const MAX_FRAME = 1 << 30

let table: Uint32Array | null = null
function crcTable(): Uint32Array {
  if (table) return table
  table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
}

/** CRC-32 (IEEE 802.3) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  const t = crcTable()
  let c = 0xffffffff
  for (let i = 0; i < bytes.length; i++) c = (t[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** One value as a frame. */
export function encodeFrame(value: unknown): Buffer {
  const payload = serialize(value)
  const out = Buffer.allocUnsafe(HEADER + payload.length)
  out.writeUInt32LE(payload.length, 0)
  out.writeUInt32LE(crc32(payload), 4)
  payload.copy(out, HEADER)
  return out
}

/** The frames of a file's bytes, and the offset where the last good one ends. */
export function decodeFrames(bytes: Buffer): { values: unknown[]; end: number; torn: boolean } {
  const values: unknown[] = []
  let at = 0
  while (at < bytes.length) {
    if (bytes.length - at < HEADER) break
    const len = bytes.readUInt32LE(at)
    const crc = bytes.readUInt32LE(at + 4)
    if (len > MAX_FRAME || at + HEADER + len > bytes.length) break
    const payload = bytes.subarray(at + HEADER, at + HEADER + len)
    if (crc32(payload) !== crc) break
    let value: unknown
    try {
      value = deserialize(payload)
    } catch {
      break
    }
    values.push(value)
    at += HEADER + len
  }
  return { values, end: at, torn: at < bytes.length }
}
