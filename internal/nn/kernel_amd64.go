//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// asmAvailable says the CPU runs the AVX2+FMA kernels below; useAsm selects
// them (tests switch it off to check the portable code on the same machine).
// gemmAvailable and useGEMM do the same for the GEMM kernels alone, which
// arm64 has too.
var (
	asmAvailable  = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	useAsm        = asmAvailable
	gemmAvailable = asmAvailable
	useGEMM       = asmAvailable
	dwAvailable   = asmAvailable
	useDW         = asmAvailable
)

//go:noescape
func sgemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)

//go:noescape
func madRows(o *float32, x *float32, w *float32, n int, ch int, xstep int)

//go:noescape
func dwConv(o *float32, x *float32, w *float32, n int, ch8 int, och int, kh int, kw int, xstep int, rowStride int, colStep int)

//go:noescape
func addRelu(o *float32, a *float32, b *float32, n int)

//go:noescape
func sgemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)

//go:noescape
func preluRows(o *float32, x *float32, c *float32, rows int, n int, relu bool)

//go:noescape
func biasClamp(o *float32, bias *float32, clamp *float32, rows int, n int)
