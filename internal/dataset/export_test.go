package dataset

// DecoderName lets the benchmark say which JPEG decoder it measured.
const DecoderName = decoderName

// UpscaleCliff is the calibrated cliff, printed by the calibration.
const UpscaleCliff = upscaleCliff
