import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    global: 'src/global.ts',
    ioredis: 'adapters/ioredis.ts',
    upstash: 'adapters/upstash.ts',
    mongodb: 'adapters/mongodb.ts',
    'data-api': 'adapters/data-api.ts',
    opentelemetry: 'adapters/opentelemetry.ts',
  },
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  clean: true,
  logLevel: 'warn',
  // rolldown's plugin-timing report is advice for tsdown's own plugins (the .d.ts build), not a
  // problem of this package: it would print a coloured warning on every build.
  checks: { pluginTimings: false },
})
