#!/usr/bin/env node
/**
 * webnesia-signal: a WebRTC signaling server speaking y-webrtc's protocol, bound to 127.0.0.1
 * unless told otherwise (y-webrtc's own bin/server.js listens on every interface).
 *
 *   npx webnesia-signal [--port 4444] [--host 127.0.0.1]
 *
 * Protocol (JSON text messages over a WebSocket):
 *   { type: 'subscribe', topics: string[] }     join rooms
 *   { type: 'unsubscribe', topics: string[] }   leave rooms
 *   { type: 'publish', topic: string, ... }     relayed to every subscriber of the topic,
 *                                               with `clients` = number of subscribers
 *   { type: 'ping' }                            answered with { type: 'pong' }
 * A connection that answers no ping for 30 s is closed.
 */
import { WebSocketServer } from 'ws'

const PING_TIMEOUT_MS = 30_000

/**
 * Starts a signaling server. Resolves with `{ port, close() }` once it listens.
 * @param {{ port?: number, host?: string }} [opts]
 */
export function startSignalingServer(opts = {}) {
  const host = opts.host ?? '127.0.0.1'
  /** @type {Map<string, Set<import('ws').WebSocket>>} */
  const topics = new Map()
  const wss = new WebSocketServer({ port: opts.port ?? 4444, host })

  const send = (conn, message) => {
    if (conn.readyState !== conn.OPEN) return
    try {
      conn.send(JSON.stringify(message))
    } catch {
      conn.close()
    }
  }

  wss.on('connection', (conn) => {
    /** @type {Set<string>} */
    const mine = new Set()
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
      for (const t of mine) {
        const subs = topics.get(t)
        subs?.delete(conn)
        if (subs?.size === 0) topics.delete(t)
      }
      mine.clear()
    })
    conn.on('message', (raw) => {
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
            if (typeof t !== 'string') continue
            let subs = topics.get(t)
            if (!subs) topics.set(t, (subs = new Set()))
            subs.add(conn)
            mine.add(t)
          }
          break
        case 'unsubscribe':
          for (const t of Array.isArray(message.topics) ? message.topics : []) {
            topics.get(t)?.delete(conn)
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
        close: () =>
          new Promise((done) => {
            for (const c of wss.clients) c.terminate()
            wss.close(() => done(undefined))
          }),
      })
    })
  })
}

function arg(name) {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('webnesia-signal')
if (isMain) {
  const port = Number(arg('--port') ?? process.env.PORT ?? 4444)
  const host = arg('--host') ?? '127.0.0.1'
  startSignalingServer({ port, host }).then(
    (s) => console.log(`webnesia-signal listening on ws://${host}:${s.port}`),
    (e) => {
      console.error(`webnesia-signal: ${e.message}`)
      process.exit(1)
    },
  )
}
