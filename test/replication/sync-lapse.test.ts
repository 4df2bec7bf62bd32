/**
 * A member missing from awareness keeps its link while it speaks, and loses it once silent (on
 * both sides: a bye). y-protocols drops a state not renewed for 30 s, here or at the server, and
 * under load a renewal comes late: closing at once parted live nodes for good in the 100-node run
 * (a closed link's sid never reopens), and every later update between them was lost.
 */
import { afterEach, expect, it } from 'vitest'
import { applyAwarenessUpdate, Awareness, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness'
import * as Y from 'yjs'
import type { Pipe } from '../../src/index.js'
import { openRelay, roomLinks, type Relay } from '../../src/replication/sync-server.js'
import { uniqueName } from '../node/helpers.js'
import { until } from './sync-scale.js'
import { startYWebsocket, type SyncServer } from './sync-servers.js'

const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f()
})

/** One side of the room over `relay`: its links' frames and closes. */
function linksOver(doc: Y.Doc, relay: Relay) {
  const got: number[] = []
  const pipes: Pipe[] = []
  let closed = 0
  const stop = roomLinks(
    doc,
    relay,
    (pipe) => {
      pipes.push(pipe)
      pipe.onData((f) => got.push(f[0] as number))
      pipe.onClose(() => closed++)
    },
    { lapseMs: 300, leaveMs: 300 },
  )
  cleanup.push(stop)
  return { got, pipes, closed: () => closed, stop }
}

async function side(server: SyncServer, room: string) {
  const doc = new Y.Doc()
  const relay = await openRelay({ room, server: server.url }, doc)
  return { ...linksOver(doc, relay), awareness: relay.awareness as unknown as Awareness }
}

/**
 * Two connections whose docs and awareness pass updates directly, with no echo of a removal (as
 * when a member left while lapsed here: the server's removal of a state gone here is no change).
 */
function wired() {
  const docs = [new Y.Doc(), new Y.Doc()] as const
  const aw = docs.map((d) => new Awareness(d)) as [Awareness, Awareness]
  for (const [x, y] of [[0, 1], [1, 0]] as const) {
    docs[x].on('update', (u: Uint8Array, origin: unknown) => origin !== 'peer' && Y.applyUpdate(docs[y], u, 'peer'))
    aw[x].on('update', ({ added, updated }: { added: number[]; updated: number[] }, origin: unknown) => {
      if (origin !== 'peer') applyAwarenessUpdate(aw[y], encodeAwarenessUpdate(aw[x], [...added, ...updated]), 'peer')
    })
  }
  const relay = (i: 0 | 1): Relay => ({ awareness: aw[i], onStatus: () => undefined, destroy: () => aw[i].destroy() })
  const a = linksOver(docs[0], relay(0))
  const b = linksOver(docs[1], relay(1))
  return { a, b, aw }
}

it('through a real server: a member timed out here keeps its link while it speaks, nothing is lost', async () => {
  const server = await startYWebsocket()
  cleanup.push(() => server.close())
  const room = uniqueName('lapse')
  const a = await side(server, room)
  const b = await side(server, room)
  await until(() => a.pipes.length === 1 && b.pipes.length === 1, 5000, 'linked')
  const toA = b.pipes[0] as Pipe
  toA.send(Uint8Array.of(1))
  await until(() => a.got.length === 1, 5000, 'first frame')

  // a's awareness times b out, as y-protocols does when a renewal comes late. a's provider tells
  // the server, the server tells b, b announces itself again: a removal (not a timeout) reaches a
  // in between, while b is lapsed.
  removeAwarenessStates(a.awareness, [b.awareness.clientID], 'timeout')
  // b goes on speaking for longer than the lapse allows silence: the link stays, nothing is lost.
  for (let k = 2; k <= 8; k++) {
    toA.send(Uint8Array.of(k))
    await until(() => a.got.length === k, 5000, `frame ${String(k)}`)
    await new Promise((r) => setTimeout(r, 100)) // b's pace: 100 ms between frames, 700 ms in all
  }
  expect(a.got).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  expect(a.closed()).toBe(0)
  await until(() => a.awareness.getStates().has(b.awareness.clientID), 5000, 'b back in a’s awareness')
  // b leaves for real: the server removes its state, and a's link closes.
  b.stop()
  await until(() => a.closed() === 1, 5000, 'a closes the link of a member that left')
})

it('a member timed out here and silent since loses its link after the lapse, on both sides', async () => {
  const { a, b, aw } = wired()
  await until(() => a.pipes.length === 1 && b.pipes.length === 1, 5000, 'linked')
  ;(b.pipes[0] as Pipe).send(Uint8Array.of(1))
  await until(() => a.got.length === 1, 5000, 'first frame')
  removeAwarenessStates(aw[0], [aw[1].clientID], 'timeout')
  await until(() => a.closed() === 1, 5000, 'a closes the silent link')
  await until(() => b.closed() === 1, 5000, 'b hears the bye')
})

it('a member the server removed keeps its link while it speaks (it was only busy), and loses it once silent', async () => {
  const { a, b, aw } = wired()
  await until(() => a.pipes.length === 1 && b.pipes.length === 1, 5000, 'linked')
  removeAwarenessStates(aw[0], [aw[1].clientID], 'server') // the server timed b out
  for (let k = 1; k <= 7; k++) {
    ;(b.pipes[0] as Pipe).send(Uint8Array.of(k))
    await until(() => a.got.length === k, 5000, `frame ${String(k)}`)
    await new Promise((r) => setTimeout(r, 100)) // b's pace: 100 ms between frames, 700 ms in all
  }
  expect([a.closed(), b.closed()]).toEqual([0, 0])
  await until(() => a.closed() === 1, 5000, 'a closes the silent link')
  await until(() => b.closed() === 1, 5000, 'b hears the bye')
})
