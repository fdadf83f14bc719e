/**
 * Direct access to a database of the test redis-server, as an attacker (or an operator) with a
 * Redis connection has it: list keys, read and write raw values.
 */
import {
  RespConnection,
  RespError,
  type RespCommand,
  type RespReply,
} from '../fixtures/redis/index.ts'

/** Runs `commands` on database `db` of the redis-server on `port`; the replies, in order. */
async function onDatabase(
  port: number,
  db: number,
  commands: readonly RespCommand[]
): Promise<RespReply[]> {
  const connection = await RespConnection.open(port)
  try {
    const [selected, ...replies] = await connection.sendMany([['SELECT', String(db)], ...commands])
    for (const reply of [selected, ...replies]) if (reply instanceof RespError) throw reply
    return replies
  } finally {
    connection.close()
  }
}

/**
 * Every key of database `db`.
 *
 * @example
 * ```ts
 * await keysIn(redis.port, 2) // ['rel_x:session:ab12…']
 * ```
 */
export async function keysIn(port: number, db: number): Promise<string[]> {
  const [names] = await onDatabase(port, db, [['KEYS', '*']])
  return Array.isArray(names) ? names.map((name) => String(name)) : []
}

/** The string value of `key` in database `db`, or `null`. */
export async function valueIn(port: number, db: number, key: string): Promise<string | null> {
  const [value] = await onDatabase(port, db, [['GET', key]])
  return value === null ? null : String(value)
}

/** Writes a raw string value under `key` in database `db`, expiring in `ttlSeconds`. */
export async function writeIn(
  port: number,
  db: number,
  key: string,
  value: string,
  ttlSeconds = 300
): Promise<void> {
  await onDatabase(port, db, [['SET', key, value, 'EX', String(ttlSeconds)]])
}

/** Runs any one command on database `db` (e.g. to put a list where a string is expected). */
export async function commandIn(
  port: number,
  db: number,
  command: RespCommand
): Promise<RespReply> {
  const [reply] = await onDatabase(port, db, [command])
  return reply ?? null
}
