import { expect } from 'vitest'

/** The error `promise` rejects with, asserted to be a `type`. */
export async function failure<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T
): Promise<T> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  )
  expect(error).toBeInstanceOf(type)
  return error as T
}
