/**
 * Short titles for the per-photo issue codes of the dataset engine
 * (internal/dataset). Go writes each issue's message, what to do included;
 * the title says in a few words what kind of problem it is. A code missing
 * here (one newer than this screen) shows its message alone.
 */
const issueTitles: Record<string, string> = {
  unsupported_format: "Not a photo we can read",
  corrupt: "Damaged file",
  too_many_pixels: "Too large to open",
  file_too_large: "File too large",
  unreadable: "Could not be read",
  duplicate: "Duplicate",
  near_duplicate: "Almost the same photo",
  no_face: "No face found",
  multiple_faces: "More than one face",
  different_person: "Someone else",
  upscaled: "Enlarged photo",
  resolution_too_low: "Too small",
  resolution_below_recommended: "Small photo",
  face_too_small: "Face too small",
  blurry: "Blurry face",
};

export function issueTitle(code: string): string | undefined {
  return Object.hasOwn(issueTitles, code) ? issueTitles[code] : undefined;
}
