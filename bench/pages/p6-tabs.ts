/**
 * P6: a commit in tab A observed in tab B. Tab B subscribes to the table and, on each event,
 * answers on a BroadcastChannel; tab A times commit → event in B → answer back in A (a round trip
 * whose return leg is one BroadcastChannel hop). The baseline is a plain BroadcastChannel round
 * trip between the same tabs. Tab B also reports the event's time on the shared clock
 * (`performance.timeOrigin + performance.now()`), giving a one-way figure as a cross-check.
 */
import { openDatabase, type Database } from '../../src/index.js'
import { check, ITEM_ATTRS, item, now, profileEnd, profileStart, quantile } from './common.js'

interface Ack {
  id: number
  at: number
}

let observer: { db: Database; ch: BroadcastChannel; echo: BroadcastChannel } | null = null

/** Tab B: subscribe, and answer every event (and every echo request) on a BroadcastChannel. */
export async function p6Observe(p: { name: string }): Promise<void> {
  const db = await openDatabase({ name: p.name })
  await db.waitForTables(['items'], 10_000)
  const ch = new BroadcastChannel(`${p.name}-ack`)
  const echo = new BroadcastChannel(`${p.name}-echo`)
  db.subscribe({ table: 'items' }, (ev) => {
    if (ev.type !== 'write') return
    const ack: Ack = { id: ev.record['id'] as number, at: performance.timeOrigin + performance.now() }
    ch.postMessage(ack)
  })
  echo.onmessage = (e: MessageEvent<number>) => {
    echo.postMessage(e.data)
  }
  observer = { db, ch, echo }
}

export async function p6StopObserver(): Promise<void> {
  if (!observer) return
  observer.ch.close()
  observer.echo.close()
  await observer.db.close()
  observer = null
}

/** Tab A, before B observes: create the node and its table. */
export async function p6Create(p: { name: string }): Promise<void> {
  const db = await openDatabase({ name: p.name })
  await db.createTable('items', { attributes: [...ITEM_ATTRS], storage: 'disc_copies' })
  await db.close()
}

/** Tab A: `pings` commits, each awaited until B's answer; then `pings` BroadcastChannel echoes. */
export async function p6Run(p: { name: string; pings: number }): Promise<Record<string, number>> {
  const db = await openDatabase({ name: p.name })
  const ch = new BroadcastChannel(`${p.name}-ack`)
  const echo = new BroadcastChannel(`${p.name}-echo`)
  let waiting: { id: number; resolve: (a: Ack) => void } | null = null
  ch.onmessage = (e: MessageEvent<Ack>) => {
    if (waiting && e.data.id === waiting.id) waiting.resolve(e.data)
  }
  let echoWait: { n: number; resolve: () => void } | null = null
  echo.onmessage = (e: MessageEvent<number>) => {
    if (echoWait && e.data === echoWait.n) echoWait.resolve()
  }
  const rtt: number[] = []
  const commit: number[] = []
  const oneWay: number[] = []
  profileStart('P6 lib (tab A)')
  for (let i = 0; i < p.pings; i++) {
    const r = item(i)
    const acked = new Promise<Ack>((resolve) => (waiting = { id: i, resolve }))
    const t0 = now()
    const wall0 = performance.timeOrigin + t0
    await db.transaction(async (t) => t.write('items', r))
    commit.push(now() - t0)
    const ack = await acked
    rtt.push(now() - t0)
    oneWay.push(ack.at - wall0)
  }
  profileEnd('P6 lib (tab A)')
  const bc: number[] = []
  for (let i = 0; i < p.pings; i++) {
    const back = new Promise<void>((resolve) => (echoWait = { n: i, resolve }))
    const t0 = now()
    echo.postMessage(i)
    await back
    bc.push(now() - t0)
  }
  check(rtt.length === p.pings && bc.length === p.pings, 'every ping answered')
  ch.close()
  echo.close()
  await db.close()
  return {
    'lib.rtt.p50': quantile(rtt, 0.5),
    'lib.rtt.p99': quantile(rtt, 0.99),
    'lib.oneWay.p50': quantile(oneWay, 0.5),
    'lib.oneWay.p99': quantile(oneWay, 0.99),
    'lib.commit.p50': quantile(commit, 0.5),
    'bc.rtt.p50': quantile(bc, 0.5),
    'bc.rtt.p99': quantile(bc, 0.99),
  }
}
