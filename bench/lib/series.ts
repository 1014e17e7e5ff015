// One measured target across rounds, and its row in a "vs bare / vs Express" table.
import { ms, otherCpu, rate, times } from "./format.js";
import { describeStatuses, type LoadResult } from "./load.js";
import { median, ratios } from "./stats.js";

export interface Sample {
  result: LoadResult;
  /** Log lines the target wrote during the run. */
  logLines: number;
}

export interface Series {
  name: string;
  samples: Sample[];
  run: (label: string) => Promise<Sample>;
}

export const seriesRps = (s: Series | undefined): number[] =>
  s ? s.samples.map((x) => x.result.okPerSecond) : [];

/** name, req/s, p50, p99, vs bare, vs classic, other CPU, notes — medians over the rounds. */
export function seriesRow(s: Series, bareRps: number[], classicRps: number[], rounds: number): string[] {
  const own = seriesRps(s);
  const cellNotes = s.samples.map((x, i) => {
    const n = [describeStatuses(x.result), x.logLines > 0 ? `${x.logLines} log lines` : ""];
    const text = n.filter(Boolean).join(", ");
    return text && rounds > 1 ? `round ${i + 1}: ${text}` : text;
  });
  if (rounds > 1) cellNotes.unshift(`per round ${own.map((v) => rate(v)).join(", ")}`);
  return [
    s.name,
    rate(median(own)),
    ms(median(s.samples.map((x) => x.result.p50))),
    ms(median(s.samples.map((x) => x.result.p99))),
    times(median(ratios(own, bareRps))),
    times(median(ratios(own, classicRps))),
    otherCpu(s.samples.map((x) => x.result.otherCpu)),
    cellNotes.filter(Boolean).join("; "),
  ];
}
