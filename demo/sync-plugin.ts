/**
 * `WEBNESIA_SYNC=1 npm run demo`: runs y-websocket's server (`@y/websocket-server`, as its CLI
 * does) on 127.0.0.1 next to Vite — port 1234, or any free one when taken — and tells the page
 * where it is: GET `/webnesia-sync.json` → `{ "url": "ws://127.0.0.1:PORT" }`. The demo then joins
 * through the server instead of WebRTC (demo/signal.ts, demo/network.ts). Without the switch the
 * plugin does nothing and the endpoint answers 404.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Plugin, PreviewServer, ViteDevServer } from 'vite'

const PORT = 1234

async function listen(port: number): Promise<{ url: string; close: () => void }> {
  const { setupWSConnection } = await import('@y/websocket-server/utils')
  const { WebSocketServer } = await import('ws')
  const http = createServer((_req, res) => res.end('okay'))
  const wss = new WebSocketServer({ noServer: true })
  wss.on('connection', (ws, req: IncomingMessage) => setupWSConnection(ws, req))
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)))
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, '127.0.0.1', resolve)
  })
  return {
    url: `ws://127.0.0.1:${String((http.address() as AddressInfo).port)}`,
    close: () => {
      for (const c of wss.clients) c.terminate()
      http.close()
    },
  }
}

/** The y-websocket server of the demo, when WEBNESIA_SYNC=1. */
export function syncServer(): Plugin {
  const attach = async (server: ViteDevServer | PreviewServer): Promise<void> => {
    if (process.env['WEBNESIA_SYNC'] !== '1') return
    const sync = await listen(PORT).catch(() => listen(0))
    server.httpServer?.once('close', sync.close)
    server.middlewares.use((req, res, next) => {
      if (req.url?.split('?')[0] !== '/webnesia-sync.json') {
        next()
        return
      }
      res.setHeader('Content-Type', 'application/json')
      res.setHeader('Cache-Control', 'no-store')
      res.end(JSON.stringify({ url: sync.url }))
    })
    const printUrls = server.printUrls.bind(server)
    server.printUrls = () => {
      printUrls()
      server.config.logger.info(`  ➜  Sync:    y-websocket server on ${sync.url} (loopback only; the demo joins through it)`)
    }
  }
  return { name: 'webnesia:sync-server', configureServer: attach, configurePreviewServer: attach }
}
