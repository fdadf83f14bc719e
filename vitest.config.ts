import { configDefaults, defineConfig } from 'vitest/config'

const FIXTURES = 'test/fixtures/**'

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    unstubEnvs: true,
    // The SDK's note when a client is pointed at the emulator's http URL (`env: url`) says nothing
    // about the code under test.
    onConsoleLog: (log) => !log.startsWith("[Stytch] Warning: Using a custom 'env'"),
    // The fixtures' self-tests apart from the library's tests: `vitest run --project fixtures`.
    projects: [
      { extends: true, test: { name: 'fixtures', include: [`${FIXTURES}/*.test.ts`] } },
      {
        extends: true,
        test: {
          name: 'library',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, FIXTURES],
        },
      },
    ],
  },
})
