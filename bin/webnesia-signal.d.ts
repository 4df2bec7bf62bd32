/** A running signaling server. */
export interface SignalingServer {
  /** The port it listens on. */
  readonly port: number
  /** The address it is bound to (127.0.0.1 by default). */
  readonly address: string
  /** Disconnects every client and stops listening. */
  close(): Promise<void>
}

/** Starts a y-webrtc-protocol signaling server (default 127.0.0.1:4444). */
export function startSignalingServer(opts?: { port?: number; host?: string }): Promise<SignalingServer>
