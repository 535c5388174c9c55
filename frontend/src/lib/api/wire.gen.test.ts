import { describe, expect, it } from "vitest";
import payloads from "./testdata/wire-payloads.json";
import {
  checkpointSchema,
  errorCodes,
  identitySchema,
  jobCreatedSchema,
  jobLogSchema,
  jobSchema,
  limits,
  platformSchema,
  presetSchema,
  reportSchema,
} from "./wire.gen";

// The payloads are what Go's encoding of the wire types writes
// (internal/wire/tsgen keeps the file current): nil slices as null, a quality
// report of real photos. The generated validators must take every one.
describe("generated validators on Go's payloads", () => {
  it.each([
    ["job_created", jobCreatedSchema, payloads.job_created],
    ["job log", jobLogSchema, payloads.job_log],
    ["identity", identitySchema, payloads.identity],
  ] as const)("accepts a %s", (_, schema, value) => {
    expect(schema.parse(value)).toEqual(value);
  });

  it("accepts every job, checkpoint (samples null or listed), preset, platform and report", () => {
    for (const j of payloads.jobs) expect(jobSchema.parse(j)).toEqual(j);
    for (const c of payloads.checkpoints) expect(checkpointSchema.parse(c)).toEqual(c);
    for (const p of payloads.presets) expect(presetSchema.parse(p)).toEqual(p);
    for (const p of payloads.platforms) expect(platformSchema.parse(p)).toEqual(p);
    for (const r of payloads.reports) expect(reportSchema.parse(r)).toEqual(r);
    expect(payloads.reports[0].items?.length).toBe(3);
    expect(payloads.reports[1].ok).toBe(false); // no photos: too_few_images
  });

  it("refuses what Go never sends", () => {
    expect(jobSchema.safeParse({ ...payloads.jobs[0], status: "exploded" }).success).toBe(false);
    expect(jobCreatedSchema.safeParse({ job_id: "j" }).success).toBe(false);
    expect(reportSchema.safeParse({ ...payloads.reports[0], items: [{ file: 1 }] }).success).toBe(false);
  });
});

describe("generated limits and codes", () => {
  it("holds the contract's values", () => {
    expect(limits.loraWeight).toEqual({ min: 0.1, max: 1.5 });
    expect(limits.maxPhotoBytes).toBe(64 * 1024 * 1024);
    expect(limits.training.rank).toEqual({ min: 4, max: 128 });
    expect(new RegExp(limits.training.trigger_word_pattern).test("ohwx")).toBe(true);
    expect(errorCodes).toContain("weight_out_of_range");
    expect(errorCodes).not.toContain("weight_out_of_bounds");
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
  });
});
