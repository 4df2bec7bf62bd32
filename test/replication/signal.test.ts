/** The signaling server relays a publish to the subscribers of its topic only, on loopback. */
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
