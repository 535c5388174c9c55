package compiler

import (
	"fmt"
	"strconv"
)

// ExampleRequest returns an example API request body for the platform, with
// refFiles (paths inside the pack, in binding order) standing where the
// image data goes: the user substitutes the base64 or URL. It returns nil
// for a profile without an API.
func ExampleRequest(p Profile, r Result, refFiles []string) ([]byte, error) {
	if p.API == nil {
		return nil, nil
	}
	if len(refFiles) != r.References.Count {
		return nil, fmt.Errorf("example request: %d reference files for %d references", len(refFiles), r.References.Count)
	}
	var body any
	switch p.API.Format {
	case "openai_videos":
		// No input_reference: the API rejects images with human faces.
		body = map[string]any{
			"model": r.Params.Model, "prompt": r.Prompt,
			"size": r.Params.Size, "seconds": strconv.Itoa(r.Params.DurationS),
		}
	case "vertex_veo":
		inst := map[string]any{"prompt": r.Prompt}
		if r.References.Upload && len(refFiles) > 0 {
			refs := make([]any, len(refFiles))
			for i, f := range refFiles {
				refs[i] = map[string]any{
					"image":         map[string]any{"bytesBase64Encoded": "<base64 of " + f + ">", "mimeType": "image/jpeg"},
					"referenceType": r.References.Role,
				}
			}
			inst["referenceImages"] = refs
		}
		params := map[string]any{
			"aspectRatio": r.Params.AspectRatio, "resolution": r.Params.Resolution,
			"durationSeconds": r.Params.DurationS, "generateAudio": r.Params.Audio, "sampleCount": 1,
		}
		if r.Params.NegativePrompt != "" {
			params["negativePrompt"] = r.Params.NegativePrompt
		}
		if r.Params.Seed != nil {
			params["seed"] = *r.Params.Seed
		}
		body = map[string]any{"instances": []any{inst}, "parameters": params}
	case "xai_videos":
		b := map[string]any{
			"model": r.Params.Model, "prompt": r.Prompt, "duration": r.Params.DurationS,
			"aspect_ratio": r.Params.AspectRatio, "resolution": r.Params.Resolution,
		}
		if r.References.Upload && len(refFiles) > 0 {
			refs := make([]any, len(refFiles))
			for i, f := range refFiles {
				refs[i] = map[string]any{"url": "<https URL or data:image/jpeg;base64 URI of " + f + ">"}
			}
			b["reference_images"] = refs
		}
		body = b
	default:
		return nil, fmt.Errorf("profile %s: unknown API format %q", p.ID, p.API.Format)
	}
	out, err := marshalIndent(body)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
