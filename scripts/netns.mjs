#!/usr/bin/env node
/**
 * Runs a command inside a loopback-only network namespace when this machine allows it (Linux,
 * root, `unshare` and `ip` present): the browser tests' WebRTC then only ever sees 127.0.0.1
 * (shared/TESTING.md, "Network hygiene"). Elsewhere (a newcomer's laptop) it runs the command as
 * it is; the tests still pass `iceServers: []` and loopback signaling.
 *
 *     node scripts/netns.mjs playwright test
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const args = process.argv.slice(2)
if (args.length === 0) {
  console.error('usage: node scripts/netns.mjs <command> [args…]')
  process.exit(2)
}
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const can =
  process.platform === 'linux' &&
  isRoot &&
  process.env.WEBNESIA_NO_NETNS !== '1' &&
  !process.env.WEBNESIA_IN_NETNS &&
  ['/usr/bin/unshare', '/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip'].filter((p) => existsSync(p)).length >= 2

// Probe: some containers forbid new namespaces; then run as is rather than fail.
const usable = can && spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore' }).status === 0
if (can && !usable) console.error('netns: cannot create a network namespace here; running without one')

let r
if (usable) {
  // `npx` resolves the command from node_modules/.bin, as npm scripts do.
  r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'netns', 'npx', ...args], {
    stdio: 'inherit',
    env: { ...process.env, WEBNESIA_IN_NETNS: '1' },
  })
} else {
  r = spawnSync('npx', args, { stdio: 'inherit', env: process.env })
}
if (r.error) {
  console.error(r.error.message)
  process.exit(1)
}
process.exit(r.status ?? 1)
