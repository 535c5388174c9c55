//go:build (!amd64 && !arm64) || purego

package nn

// There are no assembly kernels for this platform; gonum and Go loops run.
var (
	gemmAvailable = false
	useGEMM       = false
	dwAvailable   = false
	useDW         = false
	asmAvailable  = false
	useAsm        = false
)

func sgemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32) {
	panic("nn: sgemm6x16 without assembly")
}

func madRows(o *float32, x *float32, w *float32, n int, ch int, xstep int) {
	panic("nn: madRows without assembly")
}

func dwConv(o *float32, x *float32, w *float32, n int, ch8 int, och int, kh int, kw int, xstep int, rowStride int, colStep int) {
	panic("nn: dwConv without assembly")
}

func addRelu(o *float32, a *float32, b *float32, n int) {
	panic("nn: addRelu without assembly")
}

func sgemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32) {
	panic("nn: sgemm6x8 without assembly")
}

func preluRows(o *float32, x *float32, c *float32, rows int, n int, relu bool) {
	panic("nn: preluRows without assembly")
}

func biasClamp(o *float32, bias *float32, clamp *float32, rows int, n int) {
	panic("nn: biasClamp without assembly")
}
