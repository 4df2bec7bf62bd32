#!/usr/bin/env node
/**
 * webnesia-signal: a WebRTC signaling server speaking y-webrtc's protocol, bound to 127.0.0.1
 * unless told otherwise (y-webrtc's own bin/server.js listens on every interface).
 *
 *   npx webnesia-signal [--port 4444] [--host 127.0.0.1]
 *                       [--max-payload 65536] [--max-topics 64]
 *                       [--max-connections 1000] [--max-connections-per-ip 50]
 *                       [--rate 50] [--burst 300]
 *
 * Protocol (JSON text messages over a WebSocket):
 *   { type: 'subscribe', topics: string[] }     join rooms
 *   { type: 'unsubscribe', topics: string[] }   leave rooms
 *   { type: 'publish', topic: string, ... }     relayed to every subscriber of the topic,
 *                                               with `clients` = number of subscribers
 *   { type: 'ping' }                            answered with { type: 'pong' }
 * A connection that answers no ping for 30 s is closed.
 *
 * Limits (a client over one is cut off — closed with the code below — while the others go on):
 *   --max-payload BYTES          largest message: 64 KiB (ws' default is 100 MiB). A y-webrtc
 *                                signal (an SDP offer, encrypted with the room's password) is a
 *                                few KiB.                                            → 1009
 *   --max-topics N               rooms one connection may be subscribed to at once: 64. → 1008
 *   --max-connections N          open connections in all: 1000.                      → 1013
 *   --max-connections-per-ip N   open connections from one address: 50 (everything behind one
 *                                proxy, or every tab on one machine, is one address). → 1013
 *   --rate N, --burst N          messages per connection: a token bucket of 300 tokens refilled
 *                                at 50 per second; a message when the bucket is empty → 1008.
 *                                A peer joining a room of 30 sends one offer and a few ICE
 *                                candidates per peer at once (~200 messages), then next to nothing.
 * Codes: 1008 policy violation, 1009 message too big, 1013 try again later.
 */
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { WebSocketServer } from 'ws'

const PING_TIMEOUT_MS = 30_000

/** The defaults of every limit (see the header). */
export const DEFAULT_LIMITS = Object.freeze({
  maxPayload: 64 * 1024,
  maxTopics: 64,
  maxConnections: 1000,
  maxConnectionsPerIp: 50,
  rate: 50,
  burst: 300,
})

/** Close codes. */
const POLICY = 1008
const TRY_LATER = 1013

/**
 * Starts a signaling server. Resolves with `{ port, address, close() }` once it listens.
 * @param {import('./webnesia-signal.js').SignalingOptions} [opts]
 */
export function startSignalingServer(opts = {}) {
  const host = opts.host ?? '127.0.0.1'
  const limits = { ...DEFAULT_LIMITS }
  for (const k of Object.keys(DEFAULT_LIMITS)) {
    const v = opts[k]
    if (v === undefined) continue
    if (typeof v !== 'number' || !(v > 0) || (k !== 'rate' && !Number.isInteger(v))) {
      return Promise.reject(new RangeError(`webnesia-signal: ${k} must be a positive ${k === 'rate' ? 'number' : 'integer'}, not ${String(v)}`))
    }
    limits[k] = v
  }
  /** @type {Map<string, Set<import('ws').WebSocket>>} */
  const topics = new Map()
  /** @type {Map<string, number>} open connections per remote address */
  const perIp = new Map()
  const wss = new WebSocketServer({ port: opts.port ?? 4444, host, maxPayload: limits.maxPayload })

  const send = (conn, message) => {
    if (conn.readyState !== conn.OPEN) return
    try {
      conn.send(JSON.stringify(message))
    } catch {
      conn.close()
    }
  }

  wss.on('connection', (conn, req) => {
    const ip = req.socket.remoteAddress ?? '?'
    const fromIp = (perIp.get(ip) ?? 0) + 1
    perIp.set(ip, fromIp)
    /** @type {Set<string>} */
    const mine = new Set()
    let cut = false
    const leaveAll = () => {
      for (const t of mine) {
        const subs = topics.get(t)
        subs?.delete(conn)
        if (subs?.size === 0) topics.delete(t)
      }
      mine.clear()
    }
    /** Cuts the client off: out of every room at once, closed with `code`, dropped if it lingers. */
    const cutOff = (code, reason) => {
      if (cut) return
      cut = true
      leaveAll()
      conn.close(code, reason)
      setTimeout(() => conn.terminate(), 1000).unref()
    }
    let alive = true
    const pinger = setInterval(() => {
      if (!alive) {
        conn.close()
        return
      }
      alive = false
      try {
        conn.ping()
      } catch {
        conn.close()
      }
    }, PING_TIMEOUT_MS)
    conn.on('pong', () => {
      alive = true
    })
    conn.on('close', () => {
      clearInterval(pinger)
      const n = (perIp.get(ip) ?? 1) - 1
      if (n === 0) perIp.delete(ip)
      else perIp.set(ip, n)
      leaveAll()
    })
    conn.on('error', () => undefined) // e.g. a message over maxPayload: ws closes it with 1009
    // wss.clients already counts this connection.
    if (wss.clients.size > limits.maxConnections) return cutOff(TRY_LATER, 'too many connections')
    if (fromIp > limits.maxConnectionsPerIp) return cutOff(TRY_LATER, 'too many connections from this address')

    let tokens = limits.burst
    let refilled = Date.now()
    conn.on('message', (raw) => {
      if (cut) return
      const now = Date.now()
      tokens = Math.min(limits.burst, tokens + ((now - refilled) * limits.rate) / 1000)
      refilled = now
      if (tokens < 1) return cutOff(POLICY, 'message rate limit')
      tokens -= 1
      let message
      try {
        message = JSON.parse(String(raw))
      } catch {
        return // not JSON: ignored, as y-webrtc's server does
      }
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return
      switch (message.type) {
        case 'subscribe':
          for (const t of Array.isArray(message.topics) ? message.topics : []) {
            if (typeof t !== 'string' || mine.has(t)) continue
            if (mine.size >= limits.maxTopics) return cutOff(POLICY, 'too many topics')
            let subs = topics.get(t)
            if (!subs) topics.set(t, (subs = new Set()))
            subs.add(conn)
            mine.add(t)
          }
          break
        case 'unsubscribe':
          for (const t of Array.isArray(message.topics) ? message.topics : []) {
            if (typeof t !== 'string' || !mine.has(t)) continue
            const subs = topics.get(t)
            subs?.delete(conn)
            if (subs?.size === 0) topics.delete(t)
            mine.delete(t)
          }
          break
        case 'publish': {
          const subs = typeof message.topic === 'string' ? topics.get(message.topic) : undefined
          if (!subs) break
          message.clients = subs.size
          for (const c of subs) send(c, message)
          break
        }
        case 'ping':
          send(conn, { type: 'pong' })
          break
      }
    })
  })

  return new Promise((resolve, reject) => {
    wss.once('error', reject)
    wss.once('listening', () => {
      const address = wss.address()
      resolve({
        port: typeof address === 'object' && address ? address.port : 0,
        address: typeof address === 'object' && address ? address.address : String(address),
        limits: Object.freeze({ ...limits }),
        close: () =>
          new Promise((done) => {
            for (const c of wss.clients) c.terminate()
            wss.close(() => done(undefined))
          }),
      })
    })
  })
}

/** The value after a flag (`--port 4444`), or undefined. */
function arg(name) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/** CLI flag → option; numbers checked by startSignalingServer. */
const FLAGS = {
  '--max-payload': 'maxPayload',
  '--max-topics': 'maxTopics',
  '--max-connections': 'maxConnections',
  '--max-connections-per-ip': 'maxConnectionsPerIp',
  '--rate': 'rate',
  '--burst': 'burst',
}

function isMain() {
  if (!process.argv[1]) return false
  try {
    // Through npm's bin link (node_modules/.bin/webnesia-signal) argv[1] is the link.
    return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}

if (isMain()) {
  const port = Number(arg('--port') ?? process.env.PORT ?? 4444)
  const host = arg('--host') ?? '127.0.0.1'
  const opts = { port, host }
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = arg(flag)
    if (v !== undefined) opts[key] = Number(v)
  }
  startSignalingServer(opts).then(
    (s) =>
      console.log(
        `webnesia-signal listening on ws://${host}:${s.port} (limits: ${Object.entries(s.limits)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')})`,
      ),
    (e) => {
      console.error(e instanceof RangeError ? e.message : `webnesia-signal: ${e.message}`)
      process.exit(1)
    },
  )
}
