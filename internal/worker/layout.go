package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/promptforge/lorastudio/internal/studio"
)

// layout is where a trainer writes its LoRA files and sample images, as
// read in the trainers' sources.
type layout struct {
	final      string                // the LoRA written at the end of the run
	checkpoint func(step int) string // an intermediate save
	sampleDir  string                // sample images, flat
	sampleRe   *regexp.Regexp        // a sample's name: (step)(prompt index)
}

var (
	// ai-toolkit (jobs/process/BaseSDTrainProcess.py, sample()):
	// "[time]_" + "_" + zfill(step, 9) + "_[count].ext", [time] in ms and
	// [count] the unpadded prompt index; .tmp and .thumbs are subfolders.
	aiToolkitSample = regexp.MustCompile(`^\d+__(\d{9})_(\d+)\.(?:png|jpg|jpeg)$`)
	// sd-scripts (library/train_util.py, sample_image_inference):
	// output_name + "_" + steps:06d + "_" + enum:02d + "_" + %Y%m%d%H%M%S
	// (+ "_" + seed when the prompt sets one) + ".png".
	sdScriptsSample = regexp.MustCompile(`^` + outputName + `_(\d{6,})_(\d{2,})_\d{14}(?:_\d+)?\.png$`)
)

// layoutOf returns where base's trainer writes into out.
func layoutOf(base, out string) layout {
	if familyOf[base] == FamilyFlux {
		// save_root is training_folder/name; save() names a step's file
		// name + "_" + zfill(step, 9) and the last one name alone. A model
		// that saves one file per expert (Wan 2.2 A14B, save_lora in
		// wan22_14b_model.py) puts its suffix before ".safetensors".
		root := filepath.Join(out, outputName)
		suffix := ""
		if m, err := studio.LookupBaseModel(base); err == nil && m.AIToolkit != nil {
			suffix = m.AIToolkit.LoRASuffix
		}
		return layout{
			final: filepath.Join(root, outputName+suffix+".safetensors"),
			checkpoint: func(step int) string {
				return filepath.Join(root, fmt.Sprintf("%s_%09d%s.safetensors", outputName, step, suffix))
			},
			sampleDir: filepath.Join(root, "samples"),
			sampleRe:  aiToolkitSample,
		}
	}
	// train_util.py: STEP_FILE_NAME "{}-step{:08d}", the last one
	// output_name alone; samples go to output_dir + "/sample".
	return layout{
		final: filepath.Join(out, outputName+".safetensors"),
		checkpoint: func(step int) string {
			return filepath.Join(out, fmt.Sprintf("%s-step%08d.safetensors", outputName, step))
		},
		sampleDir: filepath.Join(out, "sample"),
		sampleRe:  sdScriptsSample,
	}
}

// samples returns the sample images of step by prompt index; when a
// trainer wrote one twice, the later name (a later timestamp) wins.
func (l layout) samples(step int) (map[int]string, error) {
	entries, err := os.ReadDir(l.sampleDir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	found := map[int]string{}
	for _, n := range names {
		m := l.sampleRe.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		s, err1 := strconv.Atoi(m[1])
		i, err2 := strconv.Atoi(m[2])
		if err1 == nil && err2 == nil && s == step {
			found[i] = filepath.Join(l.sampleDir, n)
		}
	}
	return found, nil
}
