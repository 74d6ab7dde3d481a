/** Series colours that keep ≥ 3:1 contrast against both the light and the dark background. */
export const SERIES_COLORS = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"] as const;

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length] as string;
}

/** Axis and grid styling that follows the surrounding text colour (and so the system's dark mode). */
export const AXIS_TICK = { fill: "currentColor", fontSize: 12 } as const;
export const TOOLTIP_STYLE = { color: "#18181b", fontSize: 12 } as const;
