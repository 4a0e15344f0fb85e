/**
 * Formats epoch milliseconds the way LivePerson's Agent Metrics API does:
 * `yyyy-MM-dd HH:mm:ss.SSS+0000`, always UTC.
 */
export function formatLpTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2023-11-14T22:22:20.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}+0000`;
}
