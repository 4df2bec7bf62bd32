/// <reference types="node" />
/**
 * The file backend's disc layout (Mnesia's: a transaction log plus dump files), one folder per
 * node under the `dir` given to `openDatabase`:
 *
 * ```
 *  <dir>/<node name>/
 *    LOCK           the pid of the process that has the node open (one process at a time)
 *    snap-<g>       generation g's snapshot: frames { stores: [{ name, auto, indexes }] },
 *                   then { s, rows: [[key, value], …] } chunks, then { end: rowCount }
 *    log-<g>        frames, one per committed transaction: { ops: Op[] } (memory.ts), appended
 *                   and fdatasync'ed before the commit is acknowledged (durability 'strict')
 * ```
 *
 * State = snapshot g (none for g = 0) + log-g replayed in order. Opening takes the newest snapshot
 * whose end frame is there, replays its log, and cuts a torn tail (a frame that is short or whose
 * checksum fails: the append a crash cut short, never acknowledged) off the log. Compaction
 * writes snap-(g+1) to a temporary name, fsyncs it, renames it into place, fsyncs the folder,
 * then starts log-(g+1) and deletes generation g: a crash anywhere leaves either generation
 * whole. Files of older generations and temporaries are deleted on open.
 *
 * @module
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { WebnesiaError } from '../../errors.js'
import { decodeFrames, encodeFrame } from './frames.js'
import { MemState, MemStore, type Op } from './memory.js'

const SNAP_CHUNK = 4096

/** Whether process `pid` runs (signal 0 probes without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM'
  }
}

function fsyncDir(path: string): void {
  try {
    const fd = openSync(path, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // some platforms cannot fsync a directory; the rename is still atomic
  }
}

/** Takes the node folder's LOCK for this process, or throws a typed error naming the holder. */
export function lockDir(path: string): void {
  const lock = join(path, 'LOCK')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' })
      return
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw new WebnesiaError('storage', `cannot lock ${path}`, { cause: e })
    }
    const holder = Number(readFileSync(lock, 'utf8').trim())
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
      throw new WebnesiaError('locked', `the node at ${path} is open in another process (pid ${String(holder)}); one process at a time may open it`)
    }
    rmSync(lock, { force: true }) // left by a process that died (or by this one, reopened): take it over
  }
  throw new WebnesiaError('locked', `cannot lock ${path}`)
}

export function unlockDir(path: string): void {
  rmSync(join(path, 'LOCK'), { force: true })
}

/** A node folder opened: its state in memory and the log it appends to. */
export class NodeFiles {
  private log: FileHandle | null = null
  private logBytes = 0
  private snapBytes = 0
  private broken = false

  private constructor(
    readonly path: string,
    private generation: number,
    readonly state: MemState,
    readonly fresh: boolean,
  ) {}

  /** Opens (creating) the node folder: locks it, loads the newest snapshot, replays and repairs the log. */
  static async open(path: string): Promise<NodeFiles> {
    mkdirSync(path, { recursive: true })
    lockDir(path)
    try {
      const names = readdirSync(path)
      const gens = names.filter((n) => /^snap-\d+$/.test(n)).map((n) => Number(n.slice(5))).sort((a, b) => b - a)
      let state: MemState | null = null
      let gen = 0
      let snapBytes = 0
      for (const g of gens) {
        const bytes = readFileSync(join(path, `snap-${String(g)}`))
        state = readSnapshot(bytes)
        if (state) {
          gen = g
          snapBytes = bytes.length
          break
        }
      }
      const fresh = state === null && !names.includes('log-0')
      state ??= new MemState()
      const logPath = join(path, `log-${String(gen)}`)
      let logBytes = 0
      try {
        const bytes = readFileSync(logPath)
        const { values, end, torn } = decodeFrames(bytes)
        for (const rec of values) for (const op of (rec as { ops: Op[] }).ops) state.apply(op)
        if (torn) {
          // The append a crash cut short: never acknowledged, so cut it off.
          const fd = openSync(logPath, 'r+')
          try {
            ftruncateSync(fd, end)
            fsyncSync(fd)
          } finally {
            closeSync(fd)
          }
        }
        logBytes = end
      } catch (e) {
        if ((e as { code?: string }).code !== 'ENOENT') throw e
      }
      for (const n of names) {
        const m = /^(snap|log)-(\d+)(\.tmp)?$/.exec(n)
        if (m && (Number(m[2]) !== gen || m[3])) rmSync(join(path, n), { force: true })
      }
      const files = new NodeFiles(path, gen, state, fresh)
      files.snapBytes = snapBytes
      files.logBytes = logBytes
      files.log = await open(logPath, 'a')
      if (logBytes === 0) fsyncDir(path)
      return files
    } catch (e) {
      unlockDir(path)
      throw e
    }
  }

  /** Appends one committed transaction; with `sync`, returns once it is on the disc. */
  async append(ops: readonly Op[], sync: boolean): Promise<void> {
    const log = this.log
    if (!log) throw new WebnesiaError('closed', 'the node files are closed')
    if (this.broken) throw new WebnesiaError('storage', `the log of ${this.path} could not be repaired after a failed write; reopen the node`)
    const frame = encodeFrame({ ops })
    const before = this.logBytes
    try {
      await log.write(frame, 0, frame.length)
      if (sync) await log.datasync()
    } catch (e) {
      // A partial frame must not stay in front of the next one: cut the log back.
      try {
        await log.truncate(before)
        await log.datasync()
      } catch {
        this.broken = true
      }
      throw e
    }
    this.logBytes += frame.length
  }

  /** True when the log has grown past the snapshot enough that a compaction pays. */
  get compactionDue(): boolean {
    return this.logBytes > Math.max(8 << 20, 2 * this.snapBytes)
  }

  /** Writes the state as the next generation's snapshot and starts its empty log (see the header). */
  async compact(): Promise<void> {
    const next = this.generation + 1
    const tmp = join(this.path, `snap-${String(next)}.tmp`)
    const handle = await open(tmp, 'w')
    let bytes = 0
    const write = async (v: unknown): Promise<void> => {
      const f = encodeFrame(v)
      bytes += f.length
      await handle.write(f, 0, f.length)
    }
    try {
      const stores = [...this.state.stores].map(([name, s]) => ({ name, auto: s.autoIncrement, indexes: [...s.indexes.keys()] }))
      await write({ stores })
      let count = 0
      for (const [name, s] of this.state.stores) {
        let rows: [unknown, unknown][] = []
        for (const row of s.scan(undefined)) {
          rows.push(row)
          if (rows.length === SNAP_CHUNK) {
            await write({ s: name, rows })
            count += rows.length
            rows = []
          }
        }
        if (rows.length > 0) await write({ s: name, rows })
        count += rows.length
      }
      await write({ end: count })
      await handle.datasync()
    } finally {
      await handle.close()
    }
    renameSync(tmp, join(this.path, `snap-${String(next)}`))
    fsyncDir(this.path)
    const old = this.generation
    const log = await open(join(this.path, `log-${String(next)}`), 'a')
    fsyncDir(this.path)
    await this.log?.close()
    this.log = log
    this.generation = next
    this.logBytes = 0
    this.snapBytes = bytes
    rmSync(join(this.path, `log-${String(old)}`), { force: true })
    rmSync(join(this.path, `snap-${String(old)}`), { force: true })
  }

  async close(): Promise<void> {
    const log = this.log
    this.log = null
    await log?.close()
    unlockDir(this.path)
  }
}

/** A snapshot file's state, or null when it is incomplete or damaged (a compaction cut short). */
function readSnapshot(bytes: Buffer): MemState | null {
  const { values, torn } = decodeFrames(bytes)
  const head = values[0] as { stores?: { name: string; auto: boolean; indexes: string[] }[] } | undefined
  const tail = values[values.length - 1] as { end?: number } | undefined
  if (torn || !head?.stores || typeof tail?.end !== 'number') return null
  const state = new MemState()
  for (const s of head.stores) {
    const store = new MemStore(s.auto)
    state.stores.set(s.name, store)
  }
  let count = 0
  for (const v of values.slice(1, -1)) {
    const chunk = v as { s: string; rows: [never, unknown][] }
    const store = state.stores.get(chunk.s)
    if (!store) return null
    for (const [k, val] of chunk.rows) store.rows.set(k, val)
    count += chunk.rows.length
  }
  if (count !== tail.end) return null
  for (const s of head.stores) for (const a of s.indexes) state.apply({ o: 'mkindex', s: s.name, a })
  return state
}
