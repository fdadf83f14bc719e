/** The part of autocannon's API (untyped upstream) the load generator uses. */
declare module 'autocannon' {
  namespace autocannon {
    interface RequestParams {
      method?: string
      path?: string
      headers?: Record<string, string>
    }
    interface Options {
      url: string
      connections: number
      duration: number
      timeout: number
      requests: (RequestParams & { setupRequest?: (request: RequestParams) => RequestParams })[]
    }
    interface Result {
      requests: { total: number }
      duration: number
      errors: number
      timeouts: number
      non2xx: number
    }
    interface Tracker {
      /** Every response, with its time in fractional ms. */
      on(
        event: 'response',
        listener: (client: unknown, status: number, bytes: number, ms: number) => void
      ): Tracker
    }
  }
  function autocannon(
    options: autocannon.Options,
    done: (error: Error | null, result: autocannon.Result) => void
  ): autocannon.Tracker
  export default autocannon
}
