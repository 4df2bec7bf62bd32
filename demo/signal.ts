/**
 * Where the demo's peers meet: the signaling server `npm run demo` starts next to Vite (its URL is
 * served at `/webnesia-signal.json` by the plugin in vite.config.ts), else the usual local one.
 */

/** The default when the page is served without the plugin (a static copy of `dist-demo/`). */
const FALLBACK = 'ws://127.0.0.1:4444'

/** The signaling server's WebSocket URL: from `/webnesia-signal.json`, else `ws://127.0.0.1:4444`. */
export async function signalingUrl(): Promise<string> {
  try {
    const res = await fetch('/webnesia-signal.json', { cache: 'no-store', signal: AbortSignal.timeout(2_000) })
    if (!res.ok) return FALLBACK
    const body = (await res.json()) as { url?: unknown }
    return typeof body.url === 'string' && /^wss?:\/\//.test(body.url) ? body.url : FALLBACK
  } catch {
    return FALLBACK // offline, or a host that answers with HTML
  }
}

/**
 * The sync server the demo joins through, when `WEBNESIA_SYNC=1 npm run demo` runs one (its URL
 * from `/webnesia-sync.json`, see demo/sync-plugin.ts); otherwise null, and the demo uses WebRTC.
 */
export async function syncServerUrl(): Promise<string | null> {
  try {
    const res = await fetch('/webnesia-sync.json', { cache: 'no-store', signal: AbortSignal.timeout(2_000) })
    if (!res.ok) return null
    const body = (await res.json()) as { url?: unknown }
    return typeof body.url === 'string' && /^wss?:\/\//.test(body.url) ? body.url : null
  } catch {
    return null
  }
}
