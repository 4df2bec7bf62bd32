/**
 * Drives an edge node running in a child process (edge-child.mjs, over the compiled library:
 * test/backend/compiled.ts): one JSON command a line in, one answer a line out. The unit tests and
 * e2e/edge-node.spec.ts use it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

/** An edge node process. */
export interface EdgeProcess {
  /** Sends one command; resolves with its value, rejects with the child's error. */
  call<T = unknown>(cmd: Record<string, unknown>): Promise<T>
  /** Sends `close` and waits for the process to exit. */
  close(): Promise<void>
  readonly child: ChildProcess
}

/** Starts `edge-child.mjs` on the compiled library `lib`, the node `name` kept under `dir`. */
export async function startEdge(lib: string, dir: string, name: string): Promise<EdgeProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'edge-child.mjs'), lib, dir, name], { stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting: { resolve(v: unknown): void; reject(e: Error): void }[] = []
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  lines.on('line', (line) => {
    if (!line.startsWith('@@')) return // not an answer (a library's log line)
    const w = waiting.shift()
    if (!w) return
    const m = JSON.parse(line.slice(2)) as { ok: boolean; value?: unknown; error?: string }
    if (m.ok) w.resolve(m.value)
    else w.reject(new Error(`edge node: ${m.error ?? '?'}`))
  })
  child.once('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`edge node exited (${String(code)})`))
  })
  const next = (): Promise<unknown> => new Promise((resolve, reject) => waiting.push({ resolve, reject }))
  await next() // 'ready'
  const call = <T>(cmd: Record<string, unknown>): Promise<T> => {
    const p = next()
    child.stdin?.write(JSON.stringify(cmd) + '\n')
    return p as Promise<T>
  }
  return {
    child,
    call,
    close: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      await call({ op: 'close' }).catch(() => undefined)
      await exited
    },
  }
}
