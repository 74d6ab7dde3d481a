/** "3 min ago" for a past moment, relative to `now` (server-rendered, so both come from the server clock). */
export function RelativeTime({ at, now }: { at: Date; now: Date }) {
  const seconds = Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
  const text =
    seconds < 60 ? `${seconds} s ago` : seconds < 3600 ? `${Math.round(seconds / 60)} min ago` : seconds < 86_400 ? `${Math.round(seconds / 3600)} h ago` : `${Math.round(seconds / 86_400)} d ago`;
  return <time dateTime={at.toISOString()} title={at.toISOString()}>{text}</time>;
}
