// A farm of Hocuspocus servers (3.x) sharing documents through Redis (@hocuspocus/extension-redis),
// each on 127.0.0.1 and a free port: `node test/replication/sync-farm.mjs <redisPort> <instances>`.
// Prints `{"urls":[…]}` once listening; on a line `mem` on stdin prints `{"rss":bytes,"heap":bytes}`.
import { Redis } from '@hocuspocus/extension-redis'
import { Server } from '@hocuspocus/server'
import { createInterface } from 'node:readline'

const [redisPort, count] = process.argv.slice(2).map(Number)
const servers = []
for (let i = 0; i < count; i++) {
  const server = new Server({
    port: 0,
    address: '127.0.0.1',
    quiet: true,
    stopOnSignals: false,
    extensions: [new Redis({ host: '127.0.0.1', port: redisPort, identifier: `farm-${String(i)}` })],
  })
  await server.listen()
  servers.push(server)
}
console.log(JSON.stringify({ urls: servers.map((s) => `ws://127.0.0.1:${String(s.address.port)}`) }))
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'mem') {
    const m = process.memoryUsage()
    console.log(JSON.stringify({ rss: m.rss, heap: m.heapUsed }))
  }
})
process.stdin.on('end', () => process.exit(0))
