/**
 * PRIM: primary tables (seed 002) over loopback WebRTC. Two nodes in this page, A the primary of
 * `stock`, B a replica, joined by a real RTCPeerConnection pair (`iceServers: []`, candidates
 * handed across in the page: host candidates on loopback only). Medians of `n` runs, in ms:
 *
 * - `rtt`: a bare round trip on a data channel of the same pair (the floor);
 * - `local.txn`: a read-increment-write transaction on A (it commits its own table);
 * - `primary.txn`: the same transaction on B: forwarded to A, validated and committed there,
 *   answered, and B waits until its copy holds the commit (read-your-writes);
 * - `replica.read`: a read-only transaction on B (the local copy);
 * - `primary.read`: the same with `{ reads: 'primary' }` (validated at A: one round trip);
 * - `tab.txn`: the increment from a second instance of B's database that never joined (another
 *   tab of device B, here in the same page): it goes to B's replicating instance over the tabs'
 *   BroadcastChannel, and from there to A;
 * - `bc.rtt`: a bare BroadcastChannel round trip between two channels of one name (the tabs' floor).
 *
 * WebRTC on loopback needs `--allow-loopback-in-peer-connection` and the microphone permission
 * (TESTING.md); bench/run.mjs passes both. When the pair does not connect within 3 s the same
 * figures are taken over an in-page pipe and `webrtc` is 0 (1: over WebRTC; run.mjs refuses 0).
 */
import { openDatabase, type Database, type Pipe } from '../../src/index.js'
import { now, uniqueName } from './common.js'

/**
 * A pipe over an open data channel. What arrives before the node attaches the pipe (the other
 * node's HELLO: it joined first) is kept and handed over on `onData`, as a real transport would.
 */
function channelPipe(ch: RTCDataChannel): Pipe {
  ch.binaryType = 'arraybuffer'
  let early: Uint8Array[] | null = []
  ch.onmessage = (e: MessageEvent<ArrayBuffer>) => {
    early?.push(new Uint8Array(e.data))
  }
  return {
    send: (d) => {
      if (ch.readyState === 'open') ch.send(d as Uint8Array<ArrayBuffer>)
    },
    onData: (fn) => {
      ch.onmessage = (e: MessageEvent<ArrayBuffer>) => {
        fn(new Uint8Array(e.data))
      }
      const kept = early ?? []
      early = null
      for (const d of kept) fn(d)
    },
    onClose: (fn) => {
      ch.onclose = () => {
        fn()
      }
    },
    close: () => {
      ch.close()
    },
  }
}

/** Two pipe ends connected in this page (the fallback). */
function pagePipes(): [Pipe & { raw: (d: Uint8Array) => void }, Pipe & { raw: (d: Uint8Array) => void }] {
  const on: (((d: Uint8Array) => void) | null)[] = [null, null]
  const make = (i: 0 | 1): Pipe & { raw: (d: Uint8Array) => void } => ({
    send: (d) => {
      const copy = d.slice()
      queueMicrotask(() => on[1 - i]?.(copy))
    },
    raw: (d) => {
      queueMicrotask(() => on[1 - i]?.(d))
    },
    onData: (fn) => (on[i] = fn),
    onClose: () => undefined,
    close: () => undefined,
  })
  return [make(0), make(1)]
}

/** Two connected peer connections; resolves with `channels` open channel pairs. */
async function loopback(channels: number): Promise<{ pairs: [RTCDataChannel, RTCDataChannel][]; close: () => void }> {
  const a = new RTCPeerConnection({ iceServers: [] })
  const b = new RTCPeerConnection({ iceServers: [] })
  a.onicecandidate = (e) => {
    if (e.candidate) void b.addIceCandidate(e.candidate)
  }
  b.onicecandidate = (e) => {
    if (e.candidate) void a.addIceCandidate(e.candidate)
  }
  const opened = (ch: RTCDataChannel): Promise<RTCDataChannel> =>
    ch.readyState === 'open' ? Promise.resolve(ch) : new Promise((r) => ch.addEventListener('open', () => r(ch), { once: true }))
  const mine = Array.from({ length: channels }, (_, i) => a.createDataChannel(`c${String(i)}`, { negotiated: true, id: i }))
  const theirs = Array.from({ length: channels }, (_, i) => b.createDataChannel(`c${String(i)}`, { negotiated: true, id: i }))
  await a.setLocalDescription(await a.createOffer())
  await b.setRemoteDescription(a.localDescription as RTCSessionDescription)
  await b.setLocalDescription(await b.createAnswer())
  await a.setRemoteDescription(b.localDescription as RTCSessionDescription)
  const pairs: [RTCDataChannel, RTCDataChannel][] = []
  for (let i = 0; i < channels; i++) pairs.push([await opened(mine[i] as RTCDataChannel), await opened(theirs[i] as RTCDataChannel)])
  return {
    pairs,
    close: () => {
      a.close()
      b.close()
    },
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)] ?? NaN
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = now()
    await fn(i)
    xs.push(now() - t0)
  }
  return median(xs)
}

/** Polls `ok` (a state no event announces to this page) for at most 10 s. @throws Error naming `what` */
async function until(ok: () => boolean, what: string): Promise<void> {
  const end = now() + 10_000
  while (!ok()) {
    if (now() > end) throw new Error(`PRIM: timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Median round trip between two BroadcastChannel objects of one name (what two tabs talk over). */
async function broadcastRoundTrip(n: number): Promise<number> {
  const name = uniqueName('bc')
  const ping = new BroadcastChannel(name)
  const pong = new BroadcastChannel(name)
  pong.onmessage = (e: MessageEvent<unknown>) => {
    pong.postMessage(e.data)
  }
  try {
    return await timed(n, () => {
      const got = new Promise<void>((r) => (ping.onmessage = () => r()))
      ping.postMessage({ seq: 1 })
      return got
    })
  } finally {
    ping.close()
    pong.close()
  }
}

const incr = (db: Database) =>
  db.transaction(async (t) => {
    const [row] = await t.read<{ id: string; n: number }>('stock', 'sku')
    await t.write('stock', { id: 'sku', n: (row?.n ?? 0) + 1 })
  })

export async function primaryBench(p: { n: number }): Promise<Record<string, number>> {
  const net = await Promise.race([loopback(2), new Promise<null>((r) => setTimeout(() => r(null), 3000))])
  let pipes: [Pipe, Pipe]
  let roundTrip: () => Promise<void>
  if (net) {
    const [repl, ping] = net.pairs as [[RTCDataChannel, RTCDataChannel], [RTCDataChannel, RTCDataChannel]]
    pipes = [channelPipe(repl[0]), channelPipe(repl[1])]
    const [pa, pb] = ping
    pb.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      pb.send(e.data)
    }
    roundTrip = () => {
      const got = new Promise<void>((r) => (pa.onmessage = () => r()))
      pa.send(new Uint8Array(64))
      return got
    }
  } else {
    pipes = pagePipes()
    const [qa, qb] = pagePipes()
    let back: (() => void) | null = null
    qb.onData((d) => qb.raw(d))
    qa.onData(() => back?.())
    roundTrip = () => {
      const got = new Promise<void>((r) => (back = r))
      qa.raw(new Uint8Array(64))
      return got
    }
  }
  const a = await openDatabase({ name: uniqueName('prim-a') })
  const b = await openDatabase({ name: uniqueName('prim-b') })
  let tab: Database | null = null
  try {
    await a.createTable('stock', { attributes: ['id', 'n'], storage: 'disc_copies' })
    let attachB: ((p: Pipe) => void) | null = null
    await a.join({ room: 'prim', resyncMs: 0, transport: (attach) => (attach(pipes[0]), () => undefined) })
    await b.join({ room: 'prim', resyncMs: 0, transport: (attach) => ((attachB = attach), () => undefined) })
    ;(attachB as unknown as (p: Pipe) => void)(pipes[1])
    await b.waitForTables(['stock'], 10_000)
    await until(() => b.replication?.connected().length === 1 && a.replication?.connected().length === 1, 'the two nodes to meet')
    await a.setPrimary('stock', a.node)
    await until(() => b.tableInfo('stock', 'primary') === a.node, "the replica to learn the primary's role")
    const out: Record<string, number> = { webrtc: net ? 1 : 0 }
    out['rtt'] = await timed(p.n, roundTrip)
    out['local.txn'] = await timed(p.n, () => incr(a))
    out['primary.txn'] = await timed(p.n, () => incr(b))
    out['replica.read'] = await timed(p.n, () => b.transaction(async (t) => t.read('stock', 'sku')))
    out['primary.read'] = await timed(p.n, () => b.transaction(async (t) => t.read('stock', 'sku'), { reads: 'primary' }))
    out['bc.rtt'] = await broadcastRoundTrip(p.n)
    tab = await openDatabase({ name: b.name })
    const other = tab
    await until(() => other.tableInfo('stock', 'primary') === a.node, "the second tab to learn the primary's role")
    if (other.replication) throw new Error('PRIM: the second tab replicates (it must route through the first)')
    out['tab.txn'] = await timed(p.n, () => incr(other))
    const [row] = await a.dirtyRead<{ n: number }>('stock', 'sku')
    if (row?.n !== 3 * p.n) throw new Error(`PRIM: counter ${String(row?.n)} after ${String(3 * p.n)} increments`)
    return out
  } finally {
    await tab?.close()
    await b.close()
    await a.close()
    net?.close()
  }
}
