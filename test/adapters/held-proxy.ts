/**
 * A TCP proxy in front of a Redis server that can hold what its clients send: while held, every
 * byte a client writes waits in the proxy (answers and pub/sub messages still flow back), and on
 * release it reaches the server in order, as a slow network link would deliver it. An instance
 * connected through it has its commands land later than another instance's, on purpose.
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'

/** A running proxy. */
export interface HeldProxy {
  /** `redis://127.0.0.1:<port>`, to give an instance as its `STYTCH_REDIS_URL`. */
  readonly url: string
  /** From now on, keeps what clients send instead of forwarding it. */
  hold(): void
  /** What clients sent since `hold()`, as text (RESP commands are readable). */
  held(): string
  /** Forwards what was held, in order, and forwards again from then on. */
  release(): void
  close(): Promise<void>
}

interface Link {
  readonly upstream: Socket
  readonly pending: Buffer[]
  ended: boolean
}

/** Starts a proxy to `127.0.0.1:port`. */
export async function startHeldProxy(port: number): Promise<HeldProxy> {
  const links = new Set<Link>()
  const sockets = new Set<Socket>()
  let holding = false
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1')
    const link: Link = { upstream, pending: [], ended: false }
    links.add(link)
    sockets.add(client).add(upstream)
    client.on('data', (chunk) => (holding ? link.pending.push(chunk) : upstream.write(chunk)))
    upstream.on('data', (chunk) => client.writable && client.write(chunk))
    client.on('error', () => {})
    upstream.on('error', () => {})
    // A client gone while its bytes are held: they are still delivered on release, then the end.
    client.on('close', () => {
      sockets.delete(client)
      if (holding && link.pending.length > 0) link.ended = true
      else upstream.end()
    })
    upstream.on('close', () => {
      sockets.delete(upstream)
      links.delete(link)
      client.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port: own } = server.address() as AddressInfo
  return {
    url: `redis://127.0.0.1:${own}`,
    hold: () => void (holding = true),
    held: () => [...links].map((link) => Buffer.concat(link.pending).toString('latin1')).join(''),
    release() {
      holding = false
      for (const link of links) {
        for (const chunk of link.pending.splice(0)) link.upstream.write(chunk)
        if (link.ended) link.upstream.end()
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
