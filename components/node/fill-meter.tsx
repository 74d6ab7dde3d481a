/** Conntrack table use as a percentage of nf_conntrack_max, with a bar; the number is the accessible value. */
export function FillMeter({ count, max }: { count: number; max: number }) {
  const fill = max > 0 ? count / max : 0;
  const percent = fill * 100;
  const tone = fill >= 0.9 ? "bg-red-600" : fill >= 0.7 ? "bg-amber-500" : "bg-emerald-600";
  return (
    <span className="inline-flex items-center gap-2" title={`${count.toLocaleString("en")} of ${max.toLocaleString("en")} entries`}>
      <meter min={0} max={1} low={0.7} high={0.9} optimum={0} value={fill} className="sr-only">
        {percent.toFixed(1)}%
      </meter>
      <span aria-hidden className="inline-block h-1.5 w-16 overflow-hidden rounded bg-zinc-200 dark:bg-zinc-700">
        <span className={`block h-full ${tone}`} style={{ width: `${Math.max(percent, percent > 0 ? 2 : 0)}%` }} />
      </span>
      <span className="tabular-nums">{percent < 1 ? percent.toFixed(2) : percent.toFixed(1)}%</span>
    </span>
  );
}
