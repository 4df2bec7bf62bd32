#!/usr/bin/env node
/**
 * Writes the demo's PWA icons to public/: solid #0b63ce squares, 192 and 512 px (PNG), plus an SVG.
 * Built-in modules only (zlib for the PNG's deflate stream). Run once: `node scripts/make-icons.mjs`.
 */
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const [r, g, b] = [0x0b, 0x63, 0xce]

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (buf) => {
  let c = 0xffffffff
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const out = Buffer.alloc(body.length + 8)
  out.writeUInt32BE(data.length, 0)
  body.copy(out, 4)
  out.writeUInt32BE(crc32(body), body.length + 4)
  return out
}

function png(size) {
  const header = Buffer.alloc(13)
  header.writeUInt32BE(size, 0)
  header.writeUInt32BE(size, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const row = Buffer.alloc(1 + size * 3) // filter byte 0, then RGB pixels
  for (let x = 0; x < size; x++) row.set([r, g, b], 1 + x * 3)
  const pixels = Buffer.concat(Array.from({ length: size }, () => row))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const dir = new URL('../public/', import.meta.url)
for (const size of [192, 512]) writeFileSync(new URL(`icon-${size}.png`, dir), png(size))
writeFileSync(
  new URL('icon.svg', dir),
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0b63ce"/>' +
    '<text x="32" y="44" font-family="system-ui,sans-serif" font-size="34" font-weight="700" fill="#fff" text-anchor="middle">w</text></svg>\n',
)
