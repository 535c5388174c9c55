//go:build arm64 && !purego

package nn

// On arm64 (Apple Silicon) the GEMM, depthwise, bias/clamp and add+Relu
// kernels are NEON assembly; madRows and preluRows run in Go. The flags
// select each group apart from the amd64-only useAsm kernels.
var (
	gemmAvailable = true
	useGEMM       = gemmAvailable
	dwAvailable   = true
	useDW         = dwAvailable
	asmAvailable  = false
	useAsm        = false
)

//go:noescape
func sgemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)

//go:noescape
func sgemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)

//go:noescape
func dwConv(o *float32, x *float32, w *float32, n int, ch8 int, och int, kh int, kw int, xstep int, rowStride int, colStep int)

func madRows(o *float32, x *float32, w *float32, n int, ch int, xstep int) {
	panic("nn: madRows without assembly")
}

//go:noescape
func addRelu(o *float32, a *float32, b *float32, n int)

func preluRows(o *float32, x *float32, c *float32, rows int, n int, relu bool) {
	panic("nn: preluRows without assembly")
}

//go:noescape
func biasClamp(o *float32, bias *float32, clamp *float32, rows int, n int)
