#!/usr/bin/env node
/**
 * `npm test`'s second set-up step (after scripts/chromium.mjs): the programs the unit tests start
 * for real — Debian's `redis-server` (the Hocuspocus + Redis sync-server tests) and Erlang with
 * Mnesia (`escript`, the differential tests against real Mnesia). What is missing is installed
 * with apt-get when running as root on Debian; otherwise one line says what to install, and the
 * tests do not start.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isDebian } from './chromium.mjs'

/** What the tests need: a command each, and the Debian packages that bring it. */
export const NEEDS = [
  { cmd: 'redis-server', packages: ['redis-server'] },
  { cmd: 'escript', packages: ['erlang-base', 'erlang-mnesia'] },
]

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0
}

function main() {
  const missing = NEEDS.filter((n) => !hasCommand(n.cmd))
  if (missing.length === 0) return 0
  const packages = missing.flatMap((n) => n.packages)
  let osRelease = null
  try {
    osRelease = readFileSync('/etc/os-release', 'utf8')
  } catch {
    // not Linux
  }
  const root = typeof process.getuid === 'function' && process.getuid() === 0
  if (root && isDebian(osRelease) && hasCommand('apt-get')) {
    console.error(`webnesia: the tests need ${missing.map((n) => n.cmd).join(', ')}; installing ${packages.join(' ')} with apt-get`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...packages]]) {
      spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env })
    }
    if (missing.every((n) => hasCommand(n.cmd))) return 0
  }
  console.error(`webnesia: the tests need ${missing.map((n) => n.cmd).join(' and ')}: on Debian run \`apt-get install ${packages.join(' ')}\` as root (elsewhere install Redis and Erlang/OTP with Mnesia)`)
  return 1
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main()
