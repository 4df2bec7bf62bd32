/**
 * The partition bookkeeping (partitions.ts) stays bounded: peers rejected for malformed input are
 * forgotten, and at most MAX_KNOWN nodes are remembered however many ids said HELLO (the
 * remote fuzzer found the node slowing down quadratically: every HELLO and `meta` write carried
 * every id it had ever met).
 */
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type Pipe } from '../../src/index.js'
import { MAX_KNOWN } from '../../src/replication/partitions.js'
import { decodeFrame, encodeMessage, MAGIC, type Message } from '../../src/replication/wire.js'
import { uniqueName } from '../node/helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

function rawPipe(): { pipe: Pipe; inject: (f: Uint8Array) => void; sent: Message[] } {
  let onData: ((d: Uint8Array) => void) | null = null
  let onClose: (() => void) | null = null
  let closed = false
  const sent: Message[] = []
  const pipe: Pipe = {
    send: (f) => {
      if (f[1] !== 9) sent.push(decodeFrame(f))
    },
    onData: (fn) => (onData = fn),
    onClose: (fn) => (onClose = fn),
    close: () => {
      if (closed) return
      closed = true
      onClose?.()
    },
  }
  return { pipe, inject: (f) => onData?.(f), sent }
}

it('rejected peers are forgotten; at most MAX_KNOWN nodes are remembered', async () => {
  const db = await openDatabase({ name: uniqueName('pb') })
  open.push(db)
  await db.createTable('t', { attributes: ['k', 'v'] })
  let attach!: (p: Pipe) => void
  await db.join({ room: 'pb', resyncMs: 0, heartbeatMs: 0, transport: (a) => ((attach = a), () => undefined) })
  const visit = (node: string, bad: boolean): void => {
    const { pipe, inject } = rawPipe()
    attach(pipe)
    inject(encodeMessage({ kind: 'hello', node, apart: [] }))
    if (bad) inject(Uint8Array.from([MAGIC, 99]))
    pipe.close()
  }
  const apartNodes = async (): Promise<Set<string>> => {
    await db.dirtyWrite('t', { k: Math.random(), v: 1 }) // a change every away node must hear of
    await db.replication?.idle()
    const { pipe, sent } = rawPipe()
    attach(pipe)
    pipe.close()
    const hello = sent.find((m) => m.kind === 'hello')
    return new Set(hello && hello.kind === 'hello' ? hello.apart.map((p) => p.split('\u0000')[0] as string) : [])
  }
  for (let i = 0; i < 20; i++) visit(`bad-${String(i)}`, true)
  visit('good', false)
  const after = await apartNodes()
  expect(after.has('good')).toBe(true)
  expect([...after].filter((n) => n.startsWith('bad-'))).toEqual([])
  for (let i = 0; i < MAX_KNOWN + 200; i++) visit(`churn-${String(i)}`, false)
  const many = await apartNodes()
  expect(many.size).toBe(MAX_KNOWN)
  expect(many.has(`churn-${String(MAX_KNOWN + 199)}`)).toBe(true)
  expect(many.has('good')).toBe(false) // the one met longest ago went first
})
