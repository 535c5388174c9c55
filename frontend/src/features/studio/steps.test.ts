import { describe, expect, it } from "vitest";
import { firstOpenStep, stepStates, type Progress } from "./steps";

const base: Progress = { consentGiven: false, photos: 0, minPhotos: 15, datasetStatus: "draft", versionsReady: 0 };
const summary = (p: Progress) => stepStates(p).map((s) => (s.status === "locked" ? `${s.id}:locked(${s.needs})` : `${s.id}:${s.status}`));

describe("stepStates", () => {
  it.each([
    {
      name: "a newcomer: only consent (and use) open",
      p: base,
      want: ["consent:open", "photos:locked(consent)", "check:locked(consent)", "train:locked(consent)", "use:open"],
      first: "consent",
    },
    {
      name: "consent given, too few photos",
      p: { ...base, consentGiven: true, photos: 3 },
      want: ["consent:done", "photos:open", "check:locked(photos)", "train:locked(photos)", "use:open"],
      first: "photos",
    },
    {
      name: "enough photos, not validated",
      p: { ...base, consentGiven: true, photos: 20 },
      want: ["consent:done", "photos:done", "check:open", "train:locked(check)", "use:open"],
      first: "check",
    },
    {
      name: "rejected by the check",
      p: { ...base, consentGiven: true, photos: 20, datasetStatus: "rejected" },
      want: ["consent:done", "photos:done", "check:open", "train:locked(check)", "use:open"],
      first: "check",
    },
    {
      name: "validated",
      p: { ...base, consentGiven: true, photos: 20, datasetStatus: "validated" },
      want: ["consent:done", "photos:done", "check:done", "train:open", "use:open"],
      first: "train",
    },
    {
      name: "trained",
      p: { ...base, consentGiven: true, photos: 20, datasetStatus: "validated", versionsReady: 1 },
      want: ["consent:done", "photos:done", "check:done", "train:done", "use:done"],
      first: "use",
    },
    {
      name: "consent withdrawn after training: back to the start",
      p: { ...base, versionsReady: 0, photos: 0 },
      want: ["consent:open", "photos:locked(consent)", "check:locked(consent)", "train:locked(consent)", "use:open"],
      first: "consent",
    },
  ])("$name", ({ p, want, first }) => {
    expect(summary(p)).toEqual(want);
    expect(firstOpenStep(stepStates(p))).toBe(first);
  });

  it("says how many photos are missing", () => {
    const check = stepStates({ ...base, consentGiven: true, photos: 3 })[2];
    expect(check).toMatchObject({ status: "locked", reason: "locked.needsPhotos", values: { min: 15, count: 3 } });
  });
});
