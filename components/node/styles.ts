/** Link look shared by the node, compare and snapshot views: underlined on hover, a visible keyboard focus ring. */
export const LINK_CLASS =
  "text-blue-700 underline-offset-2 hover:underline focus-visible:rounded focus-visible:outline focus-visible:outline-2 focus-visible:outline-blue-600 dark:text-blue-300";

/** Secondary text with enough contrast on both themes (zinc-600 on white, zinc-400 on zinc-950: both ≥ 4.5:1). */
export const MUTED_CLASS = "text-zinc-600 dark:text-zinc-400";
