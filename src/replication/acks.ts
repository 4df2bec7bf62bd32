/**
 * Acknowledgements (Mnesia's sync_transaction): `syncTransaction` resolves once every peer
 * connected at commit time holds the commit, or reports the ones it did not reach.
 *
 *     local commit at LSN n ──► its doc update gets ack id s (seqOfLsn: n → s) ──► UPDATE(s)
 *     peer: committed what UPDATE(s) carried ──► ACK(s) ──► peer.acked = s ──► waiters settle
 *
 * A waiter settles when each of its nodes acknowledged on some live link, or went down (then it
 * is reported unreached), or after `ackTimeoutMs`.
 *
 * @module
 */
import type { LocalNode } from '../node.js'
import type { Peer, Peers } from './peers.js'

interface Waiter {
  seq: number
  nodes: Set<string>
  resolve: (unreached: string[]) => void
  timer: ReturnType<typeof setTimeout>
}

/** Ack ids of this node's doc updates, and the sync transactions waiting on them. */
export class Acks {
  private seq = 0
  /** [lsn, seq]: the doc update number of this node's commits, in LSN order. */
  private readonly seqOfLsn: [number, number][] = []
  private readonly waiters = new Set<Waiter>()

  constructor(
    private readonly node: LocalNode,
    private readonly peers: Peers,
    private readonly timeoutMs: number,
  ) {}

  /** The ack id of the last local doc update. */
  get last(): number {
    return this.seq
  }

  /** Numbers a local doc update (its UPDATE carries the id). */
  next(): number {
    return ++this.seq
  }

  /** Commit `lsn` entered the document: if it made updates since `before`, remember their id. */
  noteCommit(lsn: number, before: number): void {
    if (this.seq !== before) this.seqOfLsn.push([lsn, this.seq])
    if (this.seqOfLsn.length > 10_000) this.seqOfLsn.splice(0, 5_000)
  }

  /** A peer acknowledged ack id `n`. */
  acked(peer: Peer, n: number): void {
    if (n > peer.acked) peer.acked = n
    this.check()
  }

  /** Waits until every peer connected now acknowledged the doc change of commit `lsn`. */
  async waitReplicated(lsn: number): Promise<string[]> {
    await this.node.waitApplied(lsn)
    let seq = 0
    for (let i = this.seqOfLsn.length - 1; i >= 0; i--) {
      const [l, s] = this.seqOfLsn[i] as [number, number]
      if (l <= lsn) {
        seq = s
        break
      }
    }
    if (seq === 0) return []
    const nodes = new Set<string>()
    for (const p of this.peers) if (p.node !== null && !p.cut && p.acked < seq) nodes.add(p.node)
    if (nodes.size === 0) return []
    return new Promise((resolve) => {
      const w: Waiter = {
        seq,
        nodes,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w)
          resolve([...w.nodes].sort())
        }, this.timeoutMs),
      }
      this.waiters.add(w)
    })
  }

  /** Settles the waiters whose nodes all acknowledged or went down. */
  check(): void {
    for (const w of [...this.waiters]) {
      for (const n of [...w.nodes]) {
        const pipes = [...this.peers].filter((p) => p.node === n && !p.cut)
        if (pipes.some((p) => p.acked >= w.seq)) w.nodes.delete(n)
      }
      const unreached = [...w.nodes].filter((n) => !this.peers.isUp(n))
      if (w.nodes.size === unreached.length) {
        clearTimeout(w.timer)
        this.waiters.delete(w)
        w.resolve(unreached.sort())
      }
    }
  }

  /** The replicator stops: every waiter settles with its nodes unreached. */
  stop(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer)
      w.resolve([...w.nodes])
    }
    this.waiters.clear()
  }
}
