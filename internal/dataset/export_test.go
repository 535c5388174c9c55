package dataset

// DecoderName lets the benchmark say which JPEG decoder it measured.
const DecoderName = decoderName
