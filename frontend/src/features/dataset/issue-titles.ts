import i18n from "@/lib/i18n";

/**
 * issueTitle is the short title of a per-photo issue code of the dataset
 * engine (internal/dataset), in the studio's language. Go writes each
 * issue's message, what to do included; the title says in a few words what
 * kind of problem it is. A code missing from the dataset namespace's
 * "issues" (one newer than this screen) has no title: its message shows alone.
 */
export function issueTitle(code: string): string | undefined {
  const key = `dataset:issues.${code}`;
  return /^[a-z_]+$/.test(code) && i18n.exists(key) ? i18n.t(key) : undefined;
}
