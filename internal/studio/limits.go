package studio

// The limits of the contract, each declared once: the backend enforces
// them, the desktop and the worker apply the same, and the frontend gets
// them generated (frontend/src/lib/api/wire.gen.ts). Each has a test that
// the parts enforcing it refuse just past it and accept at it.

// MaxPhotoBytes is the largest photo accepted anywhere: the desktop's
// import, the dataset engine (file_too_large), the backend's
// datasets/init and the worker's download. 64 MiB, because the pixel
// limit admits every 64 MP photo and a 64 MP JPEG at high quality is
// 40 to 50 MB: a smaller byte cap refused photos the rest accepts, and
// the desktop imported photos its upload was then refused.
const MaxPhotoBytes = 64 << 20

// MaxDatasetPhotos is how many photos one datasets/init, presign or commit
// request may name. The wire types' struct tags spell it out (maxItems:"60":
// Go tags cannot name a constant); internal/wire's TestTagsMatchLimits
// fails when they differ.
const MaxDatasetPhotos = 60

// LoRA weight: an activation's weight and a compiled prompt's LoRA
// strength lie in [MinLoRAWeight, MaxLoRAWeight], or the answer is
// EWeightOutOfRange. The range is the LoRA pipelines' (below 0.1 a face
// LoRA does nothing visible, above 1.5 it burns the image), so a weight
// the server activates always compiles.
const (
	MinLoRAWeight = 0.1
	MaxLoRAWeight = 1.5
)

// Bounds of a training job's overrides of its preset (EParamOutOfBounds).
const (
	MinRank, MaxRank                 = 4, 128
	MinSteps, MaxSteps               = 100, 6000
	MinLearningRate, MaxLearningRate = 1e-6, 1e-3
	MaxCaptionTemplate               = 200 // bytes, one line, containing {trigger}
	// MaxCaption bounds one photo's own caption (CheckCaption): bytes, one
	// line, naming the person as {trigger}.
	MaxCaption         = 1000
	TriggerWordPattern = `^[a-z0-9_]{2,32}$`
)

// TrainingResolutions are the training resolutions a job may ask for.
func TrainingResolutions() []int { return []int{512, 768, 1024} }
