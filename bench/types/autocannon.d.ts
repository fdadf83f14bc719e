/** The part of autocannon's API (v8+, untyped upstream) the fallback runner uses. */
declare module 'autocannon' {
  interface RequestParams {
    method?: string
    path?: string
    headers?: Record<string, string>
  }
  interface AutocannonRequest {
    method?: string
    path?: string
    setupRequest?: (request: RequestParams) => RequestParams
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    timeout?: number
    requests?: AutocannonRequest[]
  }
  interface Histogram {
    p50: number
    p90: number
    p99: number
    max: number
    average: number
  }
  interface Result {
    requests: { total: number; average: number }
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
  }
  function autocannon(options: Options): Promise<Result>
  export default autocannon
}
