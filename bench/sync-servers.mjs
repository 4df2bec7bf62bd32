// SYNC's servers on 127.0.0.1: y-websocket's (@y/websocket-server, as its CLI runs it) and the
// signaling server for the WebRTC copy beside it (bin/webnesia-signal.js).
import { createServer } from 'node:http'
import { setupWSConnection } from '@y/websocket-server/utils'
import { WebSocketServer } from 'ws'
import { startSignalingServer } from '../bin/webnesia-signal.js'

export async function startSyncServers() {
  const http = createServer((_req, res) => res.end('okay'))
  const wss = new WebSocketServer({ noServer: true })
  wss.on('connection', (ws, req) => setupWSConnection(ws, req))
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)))
  await new Promise((r) => http.listen(0, '127.0.0.1', r))
  const signal = await startSignalingServer({ port: 0, host: '127.0.0.1' })
  return {
    server: `ws://127.0.0.1:${http.address().port}`,
    signaling: `ws://127.0.0.1:${signal.port}`,
    close: async () => {
      for (const c of wss.clients) c.terminate()
      await new Promise((r) => http.close(r))
      await signal.close()
    },
  }
}
