/**
 * WebRTC where the runtime has none (an edge node on Node ≥ 20): what y-webrtc needs besides a
 * browser, found once per `join`.
 *
 *     RTCPeerConnection   the browser's; else `opts.wrtc` (or `peerOpts.wrtc`), handed to
 *                         simple-peer as its `wrtc` option; else, on Node, the package
 *                         `node-datachannel` (libdatachannel; its npm package ships the prebuilt
 *                         binaries) through its W3C polyfill `node-datachannel/polyfill`
 *     WebSocket           the signaling client (lib0/websocket) uses the global `WebSocket`:
 *                         Node 20 has none, so the `ws` package's is installed as the global
 *                         when it is missing (y-webrtc's own advice for Node)
 *
 * Both are loaded with a computed `import()`, so a browser bundle never contains them.
 *
 * simple-peer (under y-webrtc) assigns to `offer.sdp`; node-datachannel's descriptions are W3C
 * `RTCSessionDescription`s whose `sdp` has only a getter, so the assignment throws
 * (`ERR_CREATE_OFFER`): an implementation passed in is wrapped so `createOffer` / `createAnswer`
 * return plain `{ type, sdp }` objects, as browsers' `RTCSessionDescriptionInit`s are.
 *
 * @module
 */
import { WebnesiaError } from '../errors.js'

/**
 * A WebRTC implementation for a runtime without one: simple-peer's `wrtc` option, e.g. the
 * module `node-datachannel/polyfill` or `@roamhq/wrtc`.
 */
export interface WrtcImplementation {
  RTCPeerConnection: unknown
  RTCSessionDescription: unknown
  RTCIceCandidate: unknown
}

/** The package loaded on Node when no implementation is given. */
export const NODE_WRTC = 'node-datachannel/polyfill'

function isNode(): boolean {
  return typeof (globalThis as { process?: { versions?: { node?: unknown } } }).process?.versions?.node === 'string'
}

/** True when `v` has the three constructors simple-peer uses. */
export function isWrtc(v: unknown): v is WrtcImplementation {
  if (typeof v !== 'object' || v === null) return false
  const w = v as Record<string, unknown>
  return typeof w['RTCPeerConnection'] === 'function' && typeof w['RTCSessionDescription'] === 'function' && typeof w['RTCIceCandidate'] === 'function'
}

async function load(spec: string): Promise<unknown> {
  return import(/* @vite-ignore */ spec)
}

/**
 * The simple-peer options for this runtime: `peerOpts` with `wrtc` set where the runtime has no
 * RTCPeerConnection; installs a global `WebSocket` on Node when there is none.
 *
 * @throws WebnesiaError 'not_supported' when there is no WebRTC (Node without `node-datachannel`
 * and no `wrtc` given) or no WebSocket
 */
export async function webrtcPeerOpts(wrtc: WrtcImplementation | undefined, peerOpts: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  const g = globalThis as { RTCPeerConnection?: unknown; WebSocket?: unknown }
  const out: Record<string, unknown> = { ...peerOpts }
  if (wrtc) out['wrtc'] = plainDescriptions(wrtc)
  else if (isWrtc(out['wrtc'])) out['wrtc'] = plainDescriptions(out['wrtc'])
  else if (out['wrtc'] === undefined && typeof g.RTCPeerConnection !== 'function') {
    if (!isNode()) throw new WebnesiaError('not_supported', 'join: this runtime has no WebRTC (RTCPeerConnection); pass an implementation as `wrtc`')
    let mod: unknown
    try {
      mod = await load(NODE_WRTC)
    } catch (e) {
      throw new WebnesiaError('not_supported', `join: no WebRTC in Node: install the package node-datachannel (npm install node-datachannel), or pass an implementation as \`wrtc\` (${String(e)})`)
    }
    if (!isWrtc(mod)) throw new WebnesiaError('not_supported', `join: ${NODE_WRTC} is not a WebRTC implementation`)
    out['wrtc'] = plainDescriptions(mod)
  }
  if (typeof g.WebSocket !== 'function') {
    if (!isNode()) throw new WebnesiaError('not_supported', 'join: this runtime has no WebSocket (signaling needs one)')
    const ws = (await load('ws')) as { WebSocket?: unknown }
    if (typeof ws.WebSocket !== 'function') throw new WebnesiaError('not_supported', 'join: the ws package has no WebSocket')
    g.WebSocket = ws.WebSocket
  }
  return out
}

type Description = { type?: unknown; sdp?: unknown }
type PeerConnectionClass = new (...args: never[]) => {
  createOffer(...a: unknown[]): Promise<Description>
  createAnswer(...a: unknown[]): Promise<Description>
}

const wrapped = new WeakMap<object, WrtcImplementation>()

/** `wrtc` with an RTCPeerConnection whose offers and answers are plain objects (simple-peer rewrites their `sdp`). */
export function plainDescriptions(wrtc: WrtcImplementation): WrtcImplementation {
  const done = wrapped.get(wrtc)
  if (done) return done
  const Base = wrtc.RTCPeerConnection as PeerConnectionClass
  const plain = (d: Description): Description => ({ type: d.type, sdp: d.sdp })
  class PlainPeerConnection extends Base {
    override async createOffer(...a: unknown[]): Promise<Description> {
      return plain(await super.createOffer(...a))
    }
    override async createAnswer(...a: unknown[]): Promise<Description> {
      return plain(await super.createAnswer(...a))
    }
  }
  const out: WrtcImplementation = { ...wrtc, RTCPeerConnection: PlainPeerConnection }
  wrapped.set(wrtc, out)
  return out
}
