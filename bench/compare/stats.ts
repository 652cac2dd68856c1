// Figures for the comparison table: medians and ranges of the rounds, formatted.

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function range(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '–';
  const s = [...values].sort((a, b) => a - b);
  return `${s[0]!.toFixed(digits)}–${s[s.length - 1]!.toFixed(digits)}`;
}

/** One table row: `cells` joined by ' | ' with a leading and trailing bar (Markdown). */
export function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}
