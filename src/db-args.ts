/**
 * The argument checks of the public handle that are more than a line (`openDatabase`'s IndexedDB
 * check, `join`'s options, storage types): each refuses with a typed error before anything runs.
 *
 * @module
 */
import { WebnesiaError, safeString } from './errors.js'
import type { JoinOptions } from './replication/session.js'
import type { StorageType } from './schema/table-def.js'

/**
 * The node keeps its schema, log and disc copies in IndexedDB (ram_copies tables too go through
 * the log): without a global `indexedDB` (Node without a shim) nothing can open.
 *
 * @throws WebnesiaError with code 'not_supported', saying what to do
 */
export function checkIndexedDB(): void {
  if (typeof (globalThis as { indexedDB?: unknown }).indexedDB === 'object' && (globalThis as { indexedDB?: unknown }).indexedDB !== null) return
  throw new WebnesiaError(
    'not_supported',
    "openDatabase: no IndexedDB here (globalThis.indexedDB is missing). In Node, install fake-indexeddb and `import 'fake-indexeddb/auto'` before opening; in a browser, IndexedDB must not be disabled (private mode, sandboxed frame).",
  )
}

/**
 * Validates `join` options before anything connects.
 *
 * @throws WebnesiaError 'badarg' naming the first bad option
 */
export function checkJoinOptions(opts: unknown): asserts opts is JoinOptions {
  const bad = (what: string): never => {
    throw new WebnesiaError('badarg', `join: ${what}`)
  }
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) bad('options must be an object')
  const o = opts as Record<string, unknown>
  if (typeof o['room'] !== 'string' || o['room'].length === 0) bad('room must be a non-empty string')
  const tr = o['transport'] as { connect?: unknown } | undefined
  if (tr !== undefined && typeof tr !== 'function' && (typeof tr !== 'object' || tr === null || typeof tr.connect !== 'function')) {
    bad('transport must be a Transport (an object with connect) or a function')
  }
  const srv = o['server']
  if (srv !== undefined && (typeof srv !== 'string' || !/^wss?:\/\/\S+$/.test(srv))) bad(`server: not a ws:// or wss:// URL: ${safeString(srv)}`)
  const kind = o['serverKind']
  if (kind !== undefined && kind !== 'y-websocket' && kind !== 'hocuspocus') bad(`unknown serverKind ${safeString(kind)} (y-websocket or hocuspocus)`)
  const sig = o['signaling']
  const other = o['transport'] !== undefined || srv !== undefined // signaling may be left out
  if (sig !== undefined || !other) {
    if (!Array.isArray(sig) || (!other && sig.length === 0)) bad('signaling must list at least one server (e.g. ws://127.0.0.1:4444)')
    for (const u of sig as unknown[]) if (typeof u !== 'string' || !/^wss?:\/\/\S+$/.test(u)) bad(`signaling: not a ws:// or wss:// URL: ${safeString(u)}`)
  }
  if (o['password'] !== undefined && typeof o['password'] !== 'string') bad('password must be a string')
  for (const k of ['peerOpts', 'faults']) {
    const v = o[k]
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) bad(`${k} must be an object`)
  }
  const wrtc = o['wrtc'] as Record<string, unknown> | undefined
  if (wrtc !== undefined && (typeof wrtc !== 'object' || wrtc === null || typeof wrtc['RTCPeerConnection'] !== 'function')) {
    bad('wrtc must be a WebRTC implementation (an object with RTCPeerConnection, e.g. node-datachannel/polyfill)')
  }
  const ct = o['copyType']
  if (ct !== undefined && ct !== 'ram_copies' && ct !== 'disc_copies' && ct !== 'disc_only_copies') bad(`unknown copyType ${safeString(ct)}`)
  const mc = o['maxConns']
  if (mc !== undefined && (typeof mc !== 'number' || !Number.isInteger(mc) || mc < 1)) bad('maxConns must be a positive integer')
  for (const k of ['resyncMs', 'ackTimeoutMs', 'leaseMs', 'heartbeatMs', 'peerTimeoutMs']) {
    const v = o[k]
    if (v !== undefined && (typeof v !== 'number' || !(v >= 0) || v === Infinity || ((k === 'leaseMs' || k === 'peerTimeoutMs') && v === 0))) bad(`${k} must be a finite number of ms`)
  }
}

/** A storage type given by the caller (null, which removes a copy internally, is not one). */
export function checkStorage(storage: unknown): StorageType {
  if (storage !== 'ram_copies' && storage !== 'disc_copies' && storage !== 'disc_only_copies') {
    throw new WebnesiaError('bad_type', `unknown storage type ${safeString(storage)}`)
  }
  return storage
}
