/**
 * The signaling server relays a publish to the subscribers of its topic only, on loopback, and cuts
 * off a client over one of its limits (message size, topics, connections, message rate) while the
 * others keep signaling.
 */
import { spawn, spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startSignalingServer, type SignalingServer } from '../../bin/webnesia-signal.js'

let server: SignalingServer | undefined
afterEach(async () => {
  await server?.close()
})

function client(port: number): Promise<{ ws: WebSocket; got: unknown[]; next(): Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}`)
    const got: unknown[] = []
    const waiters: ((m: unknown) => void)[] = []
    ws.on('message', (raw: Buffer) => {
      const m: unknown = JSON.parse(String(raw))
      const w = waiters.shift()
      if (w) w(m)
      else got.push(m)
    })
    ws.once('open', () => resolve({ ws, got, next: () => (got.length > 0 ? Promise.resolve(got.shift()) : new Promise((r) => waiters.push(r))) }))
    ws.once('error', reject)
  })
}

it('relays publishes to the topic’s subscribers only, answers pings, and listens on 127.0.0.1', async () => {
  server = await startSignalingServer({ port: 0 })
  const a = await client(server.port)
  const b = await client(server.port)
  const c = await client(server.port)
  a.ws.send(JSON.stringify({ type: 'subscribe', topics: ['room'] }))
  b.ws.send(JSON.stringify({ type: 'subscribe', topics: ['room'] }))
  c.ws.send(JSON.stringify({ type: 'subscribe', topics: ['other'] }))
  c.ws.send(JSON.stringify({ type: 'ping' }))
  expect(await c.next()).toEqual({ type: 'pong' })
  a.ws.send('not json')
  a.ws.send(JSON.stringify({ type: 'publish', topic: 'room', data: 'hello' }))
  expect(await b.next()).toEqual({ type: 'publish', topic: 'room', data: 'hello', clients: 2 })
  expect(await a.next()).toEqual({ type: 'publish', topic: 'room', data: 'hello', clients: 2 })
  // c is in another room: its next message is the answer to its own ping, nothing from 'room'.
  c.ws.send(JSON.stringify({ type: 'ping' }))
  expect(await c.next()).toEqual({ type: 'pong' })
  b.ws.send(JSON.stringify({ type: 'unsubscribe', topics: ['room'] }))
  b.ws.send(JSON.stringify({ type: 'ping' }))
  expect(await b.next()).toEqual({ type: 'pong' })
  a.ws.send(JSON.stringify({ type: 'publish', topic: 'room', data: 'again' }))
  expect(await a.next()).toEqual({ type: 'publish', topic: 'room', data: 'again', clients: 1 })
  for (const x of [a, b, c]) x.ws.close()
  // Loopback only by default.
  expect(server.address).toBe('127.0.0.1')
})

// ---- limits (issue 14, item 6): a client over one is cut off, the others keep signaling ----

interface Client {
  ws: WebSocket
  /** Resolves with the first message (from now or already received) that `pred` accepts. */
  until(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  received: Record<string, unknown>[]
  closed: Promise<{ code: number; reason: string }>
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${String(port)}`)
    const received: Record<string, unknown>[] = []
    const waiters: { pred: (m: Record<string, unknown>) => boolean; done: (m: Record<string, unknown>) => void }[] = []
    ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(String(raw)) as Record<string, unknown>
      received.push(m)
      for (const w of [...waiters]) {
        if (w.pred(m)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.done(m)
        }
      }
    })
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })))
    ws.on('error', () => undefined) // a cut-off client may see ECONNRESET
    const until = (pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
      const seen = received.find(pred)
      return seen ? Promise.resolve(seen) : new Promise((done) => waiters.push({ pred, done }))
    }
    ws.once('open', () => resolve({ ws, until, received, closed }))
    ws.once('unexpected-response', () => reject(new Error('refused')))
  })
}

const send = (c: Client, m: unknown): void => c.ws.send(JSON.stringify(m))
const pong = async (c: Client): Promise<void> => {
  const before = c.received.filter((m) => m.type === 'pong').length
  send(c, { type: 'ping' })
  await c.until(() => c.received.filter((m) => m.type === 'pong').length > before)
}

it('the defaults: 64 KiB messages, 64 topics, 1000 connections, 50 per address, 50 messages/s with bursts of 300', async () => {
  server = await startSignalingServer({ port: 0 })
  expect(server.limits).toEqual({ maxPayload: 65536, maxTopics: 64, maxConnections: 1000, maxConnectionsPerIp: 50, rate: 50, burst: 300 })
  await expect(startSignalingServer({ port: 0, burst: 0 })).rejects.toThrow(RangeError)
  await expect(startSignalingServer({ port: 0, maxTopics: 1.5 })).rejects.toThrow(/maxTopics must be a positive integer/)
})

it('a flooding client is cut off (1008) and leaves its rooms, while another pair keeps exchanging messages', async () => {
  server = await startSignalingServer({ port: 0 })
  const [flood, b, c] = await Promise.all([connect(server.port), connect(server.port), connect(server.port)])
  for (const x of [flood, b, c]) send(x, { type: 'subscribe', topics: ['room'] })
  for (const x of [flood, b, c]) await pong(x)
  send(b, { type: 'publish', topic: 'room', data: 'before' })
  expect(await c.until((m) => m.data === 'before')).toMatchObject({ clients: 3 })

  const N = 5000
  for (let i = 0; i < N; i++) send(flood, { type: 'publish', topic: 'room', data: `flood ${String(i)}` })
  // Meanwhile b and c go on.
  send(c, { type: 'publish', topic: 'room', data: 'during' })
  await b.until((m) => m.data === 'during')
  expect(await flood.closed).toEqual({ code: 1008, reason: 'message rate limit' })

  send(b, { type: 'publish', topic: 'room', data: 'after' })
  // Two subscribers left: the flooder is out of the room.
  expect(await c.until((m) => m.data === 'after')).toMatchObject({ clients: 2 })
  send(c, { type: 'publish', topic: 'room', data: 'reply' })
  expect(await b.until((m) => m.data === 'reply')).toMatchObject({ clients: 2 })
  // The pings b and c sent count against their own buckets only; the flood got through up to the
  // burst (+ what refilled meanwhile), not beyond.
  const relayed = c.received.filter((m) => typeof m.data === 'string' && m.data.startsWith('flood')).length
  expect(relayed).toBeGreaterThan(0)
  expect(relayed).toBeLessThan(N / 2)
  // A new client from the same address is welcome.
  const d = await connect(server.port)
  await pong(d)
  for (const x of [b, c, d]) x.ws.close()
})

it('a burst up to the bucket passes; one message more is cut off', async () => {
  server = await startSignalingServer({ port: 0, burst: 20, rate: 0.001 })
  const a = await connect(server.port)
  for (let i = 0; i < 20; i++) send(a, { type: 'ping' })
  await a.until(() => a.received.length === 20)
  expect(a.ws.readyState).toBe(WebSocket.OPEN)
  send(a, { type: 'ping' })
  expect(await a.closed).toEqual({ code: 1008, reason: 'message rate limit' })
})

it('a message over maxPayload is cut off with 1009; the others go on', async () => {
  server = await startSignalingServer({ port: 0, maxPayload: 1024 })
  const [big, b] = await Promise.all([connect(server.port), connect(server.port)])
  send(big, { type: 'publish', topic: 'room', data: 'x'.repeat(900) }) // under 1024 bytes with the JSON around it
  await pong(big)
  send(big, { type: 'publish', topic: 'room', data: 'x'.repeat(1100) })
  expect((await big.closed).code).toBe(1009)
  await pong(b)
  b.ws.close()
})

it('subscribing to more than maxTopics topics is cut off with 1008', async () => {
  server = await startSignalingServer({ port: 0, maxTopics: 3 })
  const [a, b] = await Promise.all([connect(server.port), connect(server.port)])
  send(a, { type: 'subscribe', topics: ['t1', 't2', 't3', 't1'] }) // t1 twice counts once
  send(a, { type: 'unsubscribe', topics: ['t3'] })
  send(a, { type: 'subscribe', topics: ['t4'] })
  await pong(a)
  send(b, { type: 'subscribe', topics: ['t4'] })
  send(b, { type: 'publish', topic: 't4', data: 'to a' })
  await a.until((m) => m.data === 'to a')
  send(a, { type: 'subscribe', topics: ['t5'] })
  expect(await a.closed).toEqual({ code: 1008, reason: 'too many topics' })
  send(b, { type: 'publish', topic: 't4', data: 'alone' })
  expect(await b.until((m) => m.data === 'alone')).toMatchObject({ clients: 1 })
  b.ws.close()
})

it('connections over the limit per address and in all are closed with 1013; a freed place is taken again', async () => {
  server = await startSignalingServer({ port: 0, maxConnectionsPerIp: 2 })
  const [a, b] = await Promise.all([connect(server.port), connect(server.port)])
  const third = await connect(server.port)
  expect(await third.closed).toEqual({ code: 1013, reason: 'too many connections from this address' })
  await pong(a)
  a.ws.close()
  await a.closed
  const again = await connect(server.port)
  await pong(again)
  await pong(b)
  for (const x of [b, again]) x.ws.close()
  await server.close()

  server = await startSignalingServer({ port: 0, maxConnections: 1 })
  const one = await connect(server.port)
  const two = await connect(server.port)
  expect(await two.closed).toEqual({ code: 1013, reason: 'too many connections' })
  await pong(one)
  one.ws.close()
})

it('the CLI takes the limits as flags and says them; a bad value is one line and exit 1', async () => {
  const bin = fileURLToPath(new URL('../../bin/webnesia-signal.js', import.meta.url))
  const child = spawn(process.execPath, [bin, '--port', '0', '--max-topics', '1', '--rate', '5'], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (b: Buffer) => resolve(String(b)))
      child.once('exit', (code) => reject(new Error(`exited ${String(code)}`)))
    })
    expect(line).toContain('maxTopics 1, maxConnections 1000, maxConnectionsPerIp 50, rate 5, burst 300')
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(line)?.[1])
    const a = await connect(port)
    send(a, { type: 'subscribe', topics: ['x', 'y'] })
    expect(await a.closed).toEqual({ code: 1008, reason: 'too many topics' })
  } finally {
    child.kill()
  }
  const bad = spawnSync(process.execPath, [bin, '--port', '0', '--burst', 'lots'], { encoding: 'utf8' })
  expect(bad.status).toBe(1)
  expect(bad.stderr.trim()).toBe('webnesia-signal: burst must be a positive integer, not NaN')
})
