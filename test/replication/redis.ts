/**
 * Debian's redis-server started on a free loopback port for a test (no persistence), and a farm
 * of Hocuspocus instances sharing it (sync-farm.mjs in a child process, so its memory is its own).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll } from 'vitest'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

function lines(child: ChildProcess): AsyncIterator<string, undefined> {
  if (!child.stdout) throw new Error('no stdout')
  return createInterface({ input: child.stdout })[Symbol.asyncIterator]() as AsyncIterator<string, undefined>
}

/** Starts `/usr/bin/redis-server` on loopback; resolves once it accepts connections. */
export async function startRedis(): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort()
  const child = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const it = lines(child)
  for (;;) {
    const { value, done } = await it.next()
    if (done) throw new Error('redis-server exited before it was ready')
    if (String(value).includes('Ready to accept connections')) break
  }
  return { port, stop: () => stopChild(child) }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((r) => {
    child.once('exit', () => r())
    child.kill('SIGTERM')
  })
}

/** A farm of `n` Hocuspocus instances on one Redis. */
export interface Farm {
  urls: string[]
  /** The farm process's memory. */
  memory(): Promise<{ rss: number; heap: number }>
  stop(): Promise<void>
}

export async function startFarm(redisPort: number, n: number): Promise<Farm> {
  const script = fileURLToPath(new URL('./sync-farm.mjs', import.meta.url))
  const child = spawn(process.execPath, [script, String(redisPort), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const it = lines(child)
  const next = async (): Promise<unknown> => {
    const { value, done } = await it.next()
    if (done) throw new Error('the farm exited')
    return JSON.parse(String(value))
  }
  const { urls } = (await next()) as { urls: string[] }
  return {
    urls,
    memory: async () => {
      child.stdin?.write('mem\n')
      return (await next()) as { rss: number; heap: number }
    },
    stop: () => stopChild(child),
  }
}

/**
 * Starts redis-server and `instances` Hocuspocus instances sharing it before the file's tests, and
 * stops them after (vitest hooks). Returns the farm, once started.
 */
export function useRedisFarm(instances = 2): () => Farm {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined
  let farm: Farm | undefined
  beforeAll(async () => {
    redis = await startRedis()
    farm = await startFarm(redis.port, instances)
  }, 60_000)
  afterAll(async () => {
    await farm?.stop()
    await redis?.stop()
  })
  return () => {
    if (!farm) throw new Error('the Redis farm is not started')
    return farm
  }
}
