import type { EndToEndResult } from '../phases/end-to-end.phase';
import { abRound, type AbComparison, type PhaseOutcome } from '../report/report';
import type { CodeUnderTest } from './base-code';

/** One (c) run of the A/B rounds: which code, which round, and whether it is the (c) of the table. */
export interface AbSlot {
  code: CodeUnderTest;
  round: number;
  /** Main's first run: its full result is the table's (c) (and feeds the medians like the others). */
  table: boolean;
}

/**
 * The order of the runs: base first in odd rounds, main first in even ones (B M, M B, B M, …), so
 * neither side always takes the slot right after the raw phases or right after the other side.
 */
export function abSchedule(base: CodeUnderTest, main: CodeUnderTest, rounds: number): AbSlot[] {
  const slots: AbSlot[] = [];
  for (let round = 1; round <= rounds; round++) {
    const pair = round % 2 === 1 ? [base, main] : [main, base];
    for (const code of pair) slots.push({ code, round, table: code === main && round === 1 });
  }
  return slots;
}

/**
 * Runs (c) on the base and on main by the schedule; `run` does one run (fresh database with that
 * code's migrations, the phase, its clean-up) and returns its result or its error. The comparison
 * holds every run's figures in the order they ran; `table` is main's first run.
 */
export async function runAbRounds(
  base: CodeUnderTest,
  main: CodeUnderTest,
  rounds: number,
  tolerance: AbComparison['tolerance'],
  run: (slot: AbSlot) => Promise<PhaseOutcome<EndToEndResult>>,
): Promise<{ comparison: AbComparison; table: PhaseOutcome<EndToEndResult> }> {
  const comparison: AbComparison = { base: base.commit, main: main.commit, rounds: [], tolerance };
  let table: PhaseOutcome<EndToEndResult>;
  for (const slot of abSchedule(base, main, rounds)) {
    const result = await run(slot);
    if (slot.table) table = result;
    comparison.rounds.push(abRound(slot.code.label, slot.code.commit, slot.round, result));
  }
  return { comparison, table };
}
