/**
 * The page Playwright tests drive: it loads the library from source (through Vite) and exposes it
 * as `window.webnesia`, then sets `window.harnessReady = true`. If the library fails to load
 * (a syntax error, a missing export, a throw at import time), `window.harnessError` holds the
 * reason, so `openHarness()` fails at once with that message instead of timing out.
 */
export {}

const status = document.getElementById('status')

try {
  window.webnesia = await import('../src/index.js')
  window.harnessReady = true
  if (status) status.textContent = 'ready'
} catch (error) {
  window.harnessError = error instanceof Error ? (error.stack ?? error.message) : String(error)
  if (status) status.textContent = `error: ${window.harnessError}`
  throw error
}
