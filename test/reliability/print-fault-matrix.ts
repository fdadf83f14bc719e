/**
 * Prints the fault matrix as the README's Markdown table, markers included:
 * `npx tsx test/reliability/print-fault-matrix.ts`.
 */
import { renderFaultMatrix } from './fault-matrix.ts'

process.stdout.write(
  `<!-- fault-matrix:start -->\n${renderFaultMatrix()}\n<!-- fault-matrix:end -->\n`
)
