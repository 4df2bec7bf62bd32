// An edge node in a process of its own (y-webrtc allows one document per room per process):
// `node edge-child.mjs <lib> <dir> <name>`. It opens the file-backed node and answers one JSON
// command per stdin line with one line '@@' + JSON on stdout ({ ok, value } or { ok: false, error };
// other lines, e.g. y-webrtc's logs, are not answers):
//   { op: 'join', room, signaling }            joins over WebRTC (node-datachannel, iceServers: [], bound to 127.0.0.1:
//                                               libjuice gathers no loopback candidate otherwise)
//   { op: 'create', table, n }                 creates table (attributes k, v) with n records
//   { op: 'write', table, rec }                one syncTransaction write (acknowledged by the peers)
//   { op: 'wait', table, size }                waits until the table holds `size` records
//   { op: 'read', table, key } / { op: 'size', table } / { op: 'node' }
//   { op: 'close' }                            leaves, closes, exits
import { createInterface } from 'node:readline'

const [lib, dir, name] = process.argv.slice(2)
const { openDatabase } = await import(`${lib}/index.js`)
const db = await openDatabase({ name, dir })
if (process.env.EDGE_DEBUG) db.subscribe('system', (e) => process.stderr.write(`${name} ${JSON.stringify(e)}\n`))
// The last system events (node_up, peer_rejected, copies…), told with a wait that failed.
const events = []
db.subscribe('system', (e) => {
  events.push(e.type === 'peer_rejected' ? `${e.type} (${e.reason})` : e.type)
  if (events.length > 40) events.shift()
})

async function waitSize(table, size) {
  await db.waitForTables([table], 60_000).catch((e) => {
    throw new Error(`${String(e)}; connected peers: ${String(db.replication?.connected().length ?? 'not replicating')}; last system events: ${events.join(', ') || 'none'}`)
  })
  while (db.tableInfo(table, 'size') < size) {
    await new Promise((resolve) => {
      const offs = [db.subscribe({ table }, done), db.subscribe('system', done)]
      function done() {
        for (const off of offs) off()
        resolve()
      }
    })
  }
}

const ops = {
  join: (c) => db.join({ room: c.room, signaling: c.signaling, peerOpts: { config: { iceServers: [], bindAddress: '127.0.0.1' } }, resyncMs: 1000 }),
  create: async (c) => {
    await db.createTable(c.table, { attributes: ['k', 'v'] })
    await db.transaction(async (t) => {
      for (let i = 0; i < c.n; i++) await t.write(c.table, { k: i, v: `node ${String(i)}` })
    })
  },
  write: (c) => db.syncTransaction((t) => t.write(c.table, c.rec)),
  wait: (c) => waitSize(c.table, c.size),
  read: (c) => db.dirtyRead(c.table, c.key),
  size: (c) => db.tableInfo(c.table, 'size'),
  node: () => db.node,
  close: async () => {
    await db.leave()
    await db.close()
    setTimeout(() => process.exit(0), 0)
  },
}

process.stdout.write('@@' + JSON.stringify({ ok: true, value: 'ready' }) + '\n')
for await (const line of createInterface({ input: process.stdin })) {
  const c = JSON.parse(line)
  try {
    const value = await ops[c.op](c)
    process.stdout.write('@@' + JSON.stringify({ ok: true, value: value ?? null }) + '\n')
  } catch (e) {
    process.stdout.write('@@' + JSON.stringify({ ok: false, error: String(e?.stack ?? e) }) + '\n')
  }
}
