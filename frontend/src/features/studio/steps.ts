/** The studio's steps, in the order a person follows them. */
export const stepIds = ["consent", "photos", "check", "train", "use"] as const;
export type StepId = (typeof stepIds)[number];

/**
 * A step's state: done, open (can be worked on now, not finished), or
 * locked, with the step that unlocks it and the i18n key (studio namespace)
 * of the sentence saying why, with its values.
 */
export type StepState =
  | { id: StepId; status: "done" | "open" }
  | { id: StepId; status: "locked"; needs: StepId; reason: string; values?: Record<string, string | number> };

/** What the steps are judged on: what Go said about consent, photos and versions. */
export type Progress = {
  consentGiven: boolean; // given and not outdated
  photos: number;
  minPhotos: number;
  datasetStatus: string; // draft | validated | rejected
  versionsReady: number;
};

/**
 * stepStates says for each step whether it is done, open or locked, and
 * why. A step is locked until what it builds on is done; "use" is never
 * locked: the prompt compiler works offline, and Sora, Veo and Grok need
 * no trained LoRA.
 */
export function stepStates(p: Progress): StepState[] {
  const consent: StepState = { id: "consent", status: p.consentGiven ? "done" : "open" };
  const photos: StepState = !p.consentGiven
    ? { id: "photos", status: "locked", needs: "consent", reason: "locked.needsConsent" }
    : { id: "photos", status: p.photos >= p.minPhotos ? "done" : "open" };
  const check: StepState =
    photos.status !== "done"
      ? photos.status === "locked"
        ? { id: "check", status: "locked", needs: "consent", reason: "locked.needsConsent" }
        : {
            id: "check",
            status: "locked",
            needs: "photos",
            reason: "locked.needsPhotos",
            values: { min: p.minPhotos, count: p.photos },
          }
      : { id: "check", status: p.datasetStatus === "validated" ? "done" : "open" };
  const train: StepState =
    check.status !== "done"
      ? check.status === "locked"
        ? { ...check, id: "train" }
        : { id: "train", status: "locked", needs: "check", reason: "locked.needsCheck" }
      : { id: "train", status: p.versionsReady > 0 ? "done" : "open" };
  const use: StepState = { id: "use", status: p.versionsReady > 0 ? "done" : "open" };
  return [consent, photos, check, train, use];
}

/** firstOpenStep is where the studio opens: the first step not done (the last one when all are). */
export function firstOpenStep(states: StepState[]): StepId {
  return (states.find((s) => s.status !== "done") ?? states[states.length - 1]).id;
}
