/**
 * An edge node's WebRTC: two file-backed nodes, each in a Node process of its own, join one room
 * through the loopback signaling server and copy tables to each other over real WebRTC data
 * channels (Node has no RTCPeerConnection: `join` loads `node-datachannel/polyfill`, and `ws` as
 * the signaling client's WebSocket); a restarted process still has what it copied.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { startSignalingServer, type SignalingServer } from '../../bin/webnesia-signal.js'
import { filesClosed } from '../../src/backend/file/backend.js'
import { openDatabase, WebnesiaError, type Database } from '../../src/index.js'
import { compiledLib, removeCompiledLib } from '../backend/compiled.js'
import { uniqueName } from '../node/helpers.js'
import { startEdge, type EdgeProcess } from './edge-process.js'

mkdirSync('.tmp', { recursive: true })
const root = mkdtempSync(join('.tmp', 'edge-rtc-'))
const procs: EdgeProcess[] = []
let server: SignalingServer | undefined
afterEach(async () => {
  for (const p of procs.splice(0)) await p.close()
  await server?.close()
  server = undefined
})
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
  removeCompiledLib()
})

it('two Node processes replicate over real WebRTC (node-datachannel), both ways, and keep it across a restart', async () => {
  const lib = await compiledLib()
  server = await startSignalingServer({ port: 0 })
  const signaling = [`ws://127.0.0.1:${String(server.port)}`]
  const room = uniqueName('room')
  const [da, dbDir, na, nb] = [join(root, 'a'), join(root, 'b'), uniqueName('ra'), uniqueName('rb')]
  const a = await startEdge(lib, da, na)
  let b = await startEdge(lib, dbDir, nb)
  procs.push(a, b)
  await a.call({ op: 'create', table: 'x', n: 300 })
  await a.call({ op: 'join', room, signaling })
  await b.call({ op: 'join', room, signaling })
  await b.call({ op: 'wait', table: 'x', size: 300 })
  expect(await b.call({ op: 'read', table: 'x', key: 7 })).toEqual([{ k: 7, v: 'node 7' }])
  await b.call({ op: 'create', table: 'y', n: 5 })
  await a.call({ op: 'wait', table: 'y', size: 5 })
  await b.call({ op: 'write', table: 'x', rec: { k: 'from b', v: 1 } })
  expect(await a.call({ op: 'read', table: 'x', key: 'from b' })).toEqual([{ k: 'from b', v: 1 }])

  await b.close()
  procs.splice(procs.indexOf(b), 1)
  b = await startEdge(lib, dbDir, nb)
  procs.push(b)
  expect(await b.call({ op: 'size', table: 'x' })).toBe(301)
  expect(await b.call({ op: 'size', table: 'y' })).toBe(5)
}, 90_000)

it('refuses a wrtc option that is not a WebRTC implementation', async () => {
  const db: Database = await openDatabase({ name: uniqueName('rw'), dir: join(root, 'w') })
  const err = await db.join({ room: 'r', signaling: ['ws://127.0.0.1:1'], wrtc: {} as never }).catch((e: unknown) => e)
  await db.close()
  await filesClosed()
  expect(err).toBeInstanceOf(WebnesiaError)
  expect((err as WebnesiaError).code).toBe('badarg')
})
