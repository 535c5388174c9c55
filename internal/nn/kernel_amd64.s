//go:build amd64 && !purego

#include "textflag.h"

// func sgemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)
//
// c[i][j] = bias[j] + sum over l<k of a[i*lda+l] * b[l*16+j], for i<6,
// j<16: six rows of a against one packed 16-column panel of b, in twelve AVX
// accumulators; then min(max(c, clamp[0]), clamp[1]) unless clamp is nil.
TEXT ·sgemm6x16(SB), NOSPLIT, $0-64
	MOVQ bias+48(FP), R10
	VMOVUPS (R10), Y0
	VMOVUPS 32(R10), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	VMOVAPS Y0, Y8
	VMOVAPS Y1, Y9
	VMOVAPS Y0, Y10
	VMOVAPS Y1, Y11

	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	LEAQ (SI)(R8*1), AX
	LEAQ (SI)(R8*2), BX
	LEAQ (AX)(R8*2), R10
	LEAQ (BX)(R8*2), R11
	LEAQ (R10)(R8*2), R12
	XORQ R13, R13

	TESTQ CX, CX
	JEQ store

loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	VBROADCASTSS (SI)(R13*1), Y14
	VBROADCASTSS (AX)(R13*1), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS (BX)(R13*1), Y14
	VBROADCASTSS (R10)(R13*1), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS (R11)(R13*1), Y14
	VBROADCASTSS (R12)(R13*1), Y15
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ $4, R13
	ADDQ $64, DI
	DECQ CX
	JNE loop

	MOVQ clamp+56(FP), R10
	TESTQ R10, R10
	JEQ store
	VBROADCASTSS (R10), Y12
	VBROADCASTSS 4(R10), Y13
	VMAXPS Y12, Y0, Y0
	VMAXPS Y12, Y1, Y1
	VMAXPS Y12, Y2, Y2
	VMAXPS Y12, Y3, Y3
	VMAXPS Y12, Y4, Y4
	VMAXPS Y12, Y5, Y5
	VMAXPS Y12, Y6, Y6
	VMAXPS Y12, Y7, Y7
	VMAXPS Y12, Y8, Y8
	VMAXPS Y12, Y9, Y9
	VMAXPS Y12, Y10, Y10
	VMAXPS Y12, Y11, Y11
	VMINPS Y13, Y0, Y0
	VMINPS Y13, Y1, Y1
	VMINPS Y13, Y2, Y2
	VMINPS Y13, Y3, Y3
	VMINPS Y13, Y4, Y4
	VMINPS Y13, Y5, Y5
	VMINPS Y13, Y6, Y6
	VMINPS Y13, Y7, Y7
	VMINPS Y13, Y8, Y8
	VMINPS Y13, Y9, Y9
	VMINPS Y13, Y10, Y10
	VMINPS Y13, Y11, Y11

store:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ R9, DX
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET

// func madRows(o *float32, x *float32, w *float32, n int, ch int, xstep int)
//
// For p<n and c<ch: o[p*ch+c] += x[p*xstep+c] * w[c]. One depthwise filter
// tap applied along a row of output pixels.
TEXT ·madRows(SB), NOSPLIT, $0-48
	MOVQ o+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ ch+32(FP), R8
	MOVQ xstep+40(FP), R9
	SHLQ $2, R9
	MOVQ R8, BX
	SUBQ $8, BX
	TESTQ CX, CX
	JEQ done

pixel:
	XORQ AX, AX

vec:
	CMPQ AX, BX
	JGT tail
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS (DX)(AX*4), Y1
	VFMADD213PS (DI)(AX*4), Y1, Y0
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP vec

tail:
	CMPQ AX, R8
	JGE next
	VMOVSS (SI)(AX*4), X0
	VMOVSS (DX)(AX*4), X1
	VFMADD213SS (DI)(AX*4), X1, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP tail

next:
	LEAQ (DI)(R8*4), DI
	ADDQ R9, SI
	DECQ CX
	JNE pixel

done:
	VZEROUPPER
	RET

// func dwConv(o *float32, x *float32, w *float32, n int, ch8 int, och int, kh int, kw int, xstep int, rowStride int, colStep int)
//
// Depthwise convolution of n output pixels whose taps are all inside the
// input, for the first ch8 channels (a multiple of 8): o[p][c] = sum over
// taps of x[p*xstep + ky*rowStride + kx*colStep][c] * w[ky*kw+kx][c].
// Strides are in bytes; och is both the pixel stride of o and the tap
// stride of w. Four pixels at a time share each weight load and keep four
// independent sums in registers across the taps; leftover pixels go one
// at a time.
TEXT ·dwConv(SB), NOSPLIT, $0-88
	MOVQ o+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ ch8+32(FP), R9
	SHLQ $2, R9
	MOVQ xstep+64(FP), DX

dwquad:
	CMPQ CX, $4
	JLT dwsingle
	XORQ AX, AX

dwqchan:
	CMPQ AX, R9
	JGE dwqnext
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	LEAQ (SI)(AX*1), R10
	LEAQ (R8)(AX*1), R11
	MOVQ kh+48(FP), R12

dwqrow:
	MOVQ R10, R13
	MOVQ kw+56(FP), BX

dwqtap:
	VMOVUPS (R11), Y4
	LEAQ (R13)(DX*2), R15
	VFMADD231PS (R13), Y4, Y0
	VFMADD231PS (R13)(DX*1), Y4, Y1
	VFMADD231PS (R15), Y4, Y2
	VFMADD231PS (R15)(DX*1), Y4, Y3
	ADDQ colStep+80(FP), R13
	ADDQ och+40(FP), R11
	DECQ BX
	JNE dwqtap
	ADDQ rowStride+72(FP), R10
	DECQ R12
	JNE dwqrow

	MOVQ och+40(FP), R15
	LEAQ (DI)(AX*1), R13
	VMOVUPS Y0, (R13)
	VMOVUPS Y1, (R13)(R15*1)
	LEAQ (R13)(R15*2), R13
	VMOVUPS Y2, (R13)
	VMOVUPS Y3, (R13)(R15*1)
	ADDQ $32, AX
	JMP dwqchan

dwqnext:
	LEAQ (SI)(DX*4), SI
	MOVQ och+40(FP), R15
	LEAQ (DI)(R15*4), DI
	SUBQ $4, CX
	JMP dwquad

dwsingle:
	TESTQ CX, CX
	JEQ dwdone

dwpixel:
	XORQ AX, AX

dwchan:
	CMPQ AX, R9
	JGE dwnext
	VXORPS Y0, Y0, Y0
	LEAQ (SI)(AX*1), R10
	LEAQ (R8)(AX*1), R11
	MOVQ kh+48(FP), R12

dwrow:
	MOVQ R10, R13
	MOVQ kw+56(FP), BX

dwtap:
	VMOVUPS (R13), Y1
	VFMADD231PS (R11), Y1, Y0
	ADDQ colStep+80(FP), R13
	ADDQ och+40(FP), R11
	DECQ BX
	JNE dwtap
	ADDQ rowStride+72(FP), R10
	DECQ R12
	JNE dwrow

	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP dwchan

dwnext:
	ADDQ DX, SI
	ADDQ och+40(FP), DI
	DECQ CX
	JNE dwpixel

dwdone:
	VZEROUPPER
	RET

// func addRelu(o *float32, a *float32, b *float32, n int)
//
// o[i] = max(a[i] + b[i], 0) for i < n.
TEXT ·addRelu(SB), NOSPLIT, $0-32
	MOVQ o+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	VXORPS Y15, Y15, Y15
	XORQ AX, AX
	MOVQ CX, BX
	ANDQ $-32, BX

arloop:
	CMPQ AX, BX
	JGE artail
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVUPS 64(SI)(AX*4), Y2
	VMOVUPS 96(SI)(AX*4), Y3
	VADDPS (DX)(AX*4), Y0, Y0
	VADDPS 32(DX)(AX*4), Y1, Y1
	VADDPS 64(DX)(AX*4), Y2, Y2
	VADDPS 96(DX)(AX*4), Y3, Y3
	VMAXPS Y15, Y0, Y0
	VMAXPS Y15, Y1, Y1
	VMAXPS Y15, Y2, Y2
	VMAXPS Y15, Y3, Y3
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y1, 32(DI)(AX*4)
	VMOVUPS Y2, 64(DI)(AX*4)
	VMOVUPS Y3, 96(DI)(AX*4)
	ADDQ $32, AX
	JMP arloop

artail:
	CMPQ AX, CX
	JGE ardone
	VMOVSS (SI)(AX*4), X0
	VADDSS (DX)(AX*4), X0, X0
	VMAXSS X15, X0, X0
	VMOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP artail

ardone:
	VZEROUPPER
	RET

// func sgemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)
//
// sgemm6x16 for a last panel of 8 columns (b packed 8 wide).
TEXT ·sgemm6x8(SB), NOSPLIT, $0-64
	MOVQ bias+48(FP), R10
	VMOVUPS (R10), Y0
	VMOVAPS Y0, Y2
	VMOVAPS Y0, Y4
	VMOVAPS Y0, Y6
	VMOVAPS Y0, Y8
	VMOVAPS Y0, Y10

	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), DI
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R9
	SHLQ $2, R9

	LEAQ (SI)(R8*1), AX
	LEAQ (SI)(R8*2), BX
	LEAQ (AX)(R8*2), R10
	LEAQ (BX)(R8*2), R11
	LEAQ (R10)(R8*2), R12
	XORQ R13, R13

	TESTQ CX, CX
	JEQ store8

loop8:
	VMOVUPS (DI), Y12
	VBROADCASTSS (SI)(R13*1), Y14
	VBROADCASTSS (AX)(R13*1), Y15
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y12, Y15, Y2
	VBROADCASTSS (BX)(R13*1), Y14
	VBROADCASTSS (R10)(R13*1), Y15
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y12, Y15, Y6
	VBROADCASTSS (R11)(R13*1), Y14
	VBROADCASTSS (R12)(R13*1), Y15
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y12, Y15, Y10
	ADDQ $4, R13
	ADDQ $32, DI
	DECQ CX
	JNE loop8

	MOVQ clamp+56(FP), R10
	TESTQ R10, R10
	JEQ store8
	VBROADCASTSS (R10), Y12
	VBROADCASTSS 4(R10), Y13
	VMAXPS Y12, Y0, Y0
	VMAXPS Y12, Y2, Y2
	VMAXPS Y12, Y4, Y4
	VMAXPS Y12, Y6, Y6
	VMAXPS Y12, Y8, Y8
	VMAXPS Y12, Y10, Y10
	VMINPS Y13, Y0, Y0
	VMINPS Y13, Y2, Y2
	VMINPS Y13, Y4, Y4
	VMINPS Y13, Y6, Y6
	VMINPS Y13, Y8, Y8
	VMINPS Y13, Y10, Y10

store8:
	VMOVUPS Y0, (DX)
	ADDQ R9, DX
	VMOVUPS Y2, (DX)
	ADDQ R9, DX
	VMOVUPS Y4, (DX)
	ADDQ R9, DX
	VMOVUPS Y6, (DX)
	ADDQ R9, DX
	VMOVUPS Y8, (DX)
	ADDQ R9, DX
	VMOVUPS Y10, (DX)
	VZEROUPPER
	RET

// func preluRows(o *float32, x *float32, c *float32, rows int, n int, relu bool)
//
// o = P + (x - |x|)*c row by row, c one row of n values (n a multiple of
// 8), P = max(x, 0) if relu else x: MobileFaceNet's PReLU form.
TEXT ·preluRows(SB), NOSPLIT, $0-41
	MOVQ o+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ c+16(FP), DX
	MOVQ rows+24(FP), CX
	MOVQ n+32(FP), R8
	SHLQ $2, R8
	MOVBLZX relu+40(FP), R9
	VXORPS Y15, Y15, Y15
	MOVL $0x7fffffff, AX
	MOVQ AX, X14
	VPBROADCASTD X14, Y14
	TESTQ CX, CX
	JEQ prdone

prrow:
	XORQ AX, AX

prvec:
	CMPQ AX, R8
	JGE prnext
	VMOVUPS (SI)(AX*1), Y0
	VANDPS Y14, Y0, Y1
	VSUBPS Y1, Y0, Y1
	VMULPS (DX)(AX*1), Y1, Y1
	TESTQ R9, R9
	JEQ prnorelu
	VMAXPS Y15, Y0, Y0

prnorelu:
	VADDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP prvec

prnext:
	ADDQ R8, SI
	ADDQ R8, DI
	DECQ CX
	JNE prrow

prdone:
	VZEROUPPER
	RET

// func biasClamp(o *float32, bias *float32, clamp *float32, rows int, n int)
//
// For each of rows rows of n values: o += bias (unless bias is nil), then
// o = min(max(o, clamp[0]), clamp[1]) (unless clamp is nil).
TEXT ·biasClamp(SB), NOSPLIT, $0-40
	MOVQ o+0(FP), DI
	MOVQ bias+8(FP), DX
	MOVQ clamp+16(FP), R10
	MOVQ rows+24(FP), CX
	MOVQ n+32(FP), R8
	MOVQ R8, BX
	SUBQ $8, BX
	TESTQ R10, R10
	JEQ bcnoclamp
	VBROADCASTSS (R10), Y14
	VBROADCASTSS 4(R10), Y15

bcnoclamp:
	TESTQ CX, CX
	JEQ bcdone

bcrow:
	XORQ AX, AX

bcvec:
	CMPQ AX, BX
	JGT bctail
	VMOVUPS (DI)(AX*4), Y0
	TESTQ DX, DX
	JEQ bcvclamp
	VADDPS (DX)(AX*4), Y0, Y0

bcvclamp:
	TESTQ R10, R10
	JEQ bcvstore
	VMAXPS Y14, Y0, Y0
	VMINPS Y15, Y0, Y0

bcvstore:
	VMOVUPS Y0, (DI)(AX*4)
	ADDQ $8, AX
	JMP bcvec

bctail:
	CMPQ AX, R8
	JGE bcnext
	VMOVSS (DI)(AX*4), X0
	TESTQ DX, DX
	JEQ bctclamp
	VADDSS (DX)(AX*4), X0, X0

bctclamp:
	TESTQ R10, R10
	JEQ bctstore
	VMAXSS X14, X0, X0
	VMINSS X15, X0, X0

bctstore:
	VMOVSS X0, (DI)(AX*4)
	INCQ AX
	JMP bctail

bcnext:
	LEAQ (DI)(R8*4), DI
	DECQ CX
	JNE bcrow

bcdone:
	VZEROUPPER
	RET
