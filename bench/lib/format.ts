// Markdown tables and target lines.

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

export function targetLine(check: TargetCheck): string {
  return `${check.pass ? "PASS" : "MISS"}  ${check.label}: ${check.detail}`;
}

/** `actual / reference >= wanted`, formatted. */
export function atLeast(label: string, actual: number, reference: number, wanted: number): TargetCheck {
  const r = actual / reference;
  return {
    label,
    pass: Number.isFinite(r) && r >= wanted,
    detail: `${rate(actual)} / ${rate(reference)} = ${Number.isFinite(r) ? r.toFixed(2) : "–"}× (want ≥ ${wanted}×)`,
  };
}

/** `actual / reference <= wanted`, formatted for latencies. */
export function atMost(label: string, actual: number, reference: number, wanted: number): TargetCheck {
  const r = actual / reference;
  return {
    label,
    pass: Number.isFinite(r) && r <= wanted,
    detail: `${ms(actual)} ms / ${ms(reference)} ms = ${Number.isFinite(r) ? r.toFixed(2) : "–"}× (want ≤ ${wanted}×)`,
  };
}
