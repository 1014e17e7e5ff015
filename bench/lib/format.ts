// Markdown tables and target lines.
import { median } from "./stats.js";

export function rate(n: number): string {
  if (!Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { maximumFractionDigits: n < 100 ? 1 : 0 });
}

export function ms(n: number): string {
  if (!Number.isFinite(n)) return "–";
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "–";
  return `${(a / b).toFixed(2)}×`;
}

export function times(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : "–";
}

/** The share of the CPU other processes took, per round: "0%, 54%, 3%". */
export function otherCpu(shares: readonly (number | undefined)[]): string {
  return shares.map((s) => (s === undefined ? "?" : `${Math.round(s * 100)}%`)).join(", ");
}

/** Runs during which other processes took 10% or more of the machine are not to be trusted. */
export const DISTURBED = 0.1;

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(headers), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

export interface TargetCheck {
  label: string;
  pass: boolean;
  detail: string;
}

/** The `--check` summary: one row per target of every scenario run. */
export function checkTable(checks: readonly (TargetCheck & { scenario: string })[]): string {
  return table(
    ["", "target", "measured", "scenario"],
    checks.map((c) => [c.pass ? "PASS" : "MISS", c.label, c.detail, c.scenario]),
  );
}

export function targetLine(check: TargetCheck): string {
  return `${check.pass ? "PASS" : "MISS"}  ${check.label}: ${check.detail}`;
}

/**
 * A target on a ratio, judged on the median of the per-round ratios (each round measures the
 * targets back to back, so pairing them within a round cancels slow drift of the machine).
 */
export function ratioCheck(
  label: string,
  perRound: readonly number[],
  op: "≥" | "≤",
  wanted: number,
  context: string,
): TargetCheck {
  const m = median(perRound);
  const pass = Number.isFinite(m) && (op === "≥" ? m >= wanted : m <= wanted);
  const rounds = perRound.length > 1 ? `; per round ${perRound.map((r) => r.toFixed(2)).join(", ")}` : "";
  return {
    label,
    pass,
    detail: `${context} = ${Number.isFinite(m) ? m.toFixed(3) : "–"}× (want ${op} ${wanted}×${rounds})`,
  };
}
