/**
 * Real Yjs sync servers started in-process on 127.0.0.1 and a free port, for the sync-server
 * transport's tests: y-websocket's (`@y/websocket-server`, as its CLI runs it) and Hocuspocus
 * (optionally with extensions, e.g. Redis). Each exposes its connections so a test can drop them.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server, type Extension } from '@hocuspocus/server'
import { setupWSConnection } from '@y/websocket-server/utils'
import { WebSocketServer, type WebSocket } from 'ws'

/** A running server. */
export interface SyncServer {
  url: string
  /** Drops every client connection (the clients reconnect by themselves). */
  dropAll(): void
  close(): Promise<void>
}

/** y-websocket's server: the same few lines as its CLI (`npx y-websocket`), bound to loopback. */
export async function startYWebsocket(): Promise<SyncServer> {
  const http = createServer((_req, res) => res.end('okay'))
  const wss = new WebSocketServer({ noServer: true })
  const conns = new Set<WebSocket>()
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    conns.add(ws)
    ws.on('close', () => conns.delete(ws))
    setupWSConnection(ws, req)
  })
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)))
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as AddressInfo).port
  return {
    url: `ws://127.0.0.1:${String(port)}`,
    dropAll: () => {
      for (const c of conns) c.terminate()
    },
    close: async () => {
      for (const c of conns) c.terminate()
      wss.close()
      await new Promise((r) => http.close(r))
    },
  }
}

/** A Hocuspocus server (3.x) on loopback, with `extensions` (e.g. `new Redis({ … })`). */
export async function startHocuspocus(extensions: Extension[] = []): Promise<SyncServer & { server: Server }> {
  const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false, extensions })
  await server.listen()
  return {
    server,
    url: `ws://127.0.0.1:${String(server.address.port)}`,
    dropAll: () => {
      for (const c of server.webSocketServer.clients) c.terminate()
    },
    close: () => server.destroy() as Promise<void>,
  }
}
