//go:build arm64 && !purego

#include "textflag.h"

// func sgemm6x16(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)
//
// c[i][j] = bias[j] + sum over l<k of a[i*lda+l] * b[l*16+j], for i<6,
// j<16: six rows of a against one packed 16-column panel of b, in 24 NEON
// accumulators; then min(max(c, clamp[0]), clamp[1]) unless clamp is nil.
// FMAX/FMIN are encoded by hand: Go's assembler has no mnemonic for them.
TEXT ·sgemm6x16(SB), NOSPLIT, $0-64
	MOVD bias+48(FP), R10
	VLD1 (R10), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1 (R10), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1 (R10), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1 (R10), [V12.S4, V13.S4, V14.S4, V15.S4]
	VLD1 (R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1 (R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD lda+16(FP), R11
	LSL $2, R11, R11
	ADD R11, R1, R2
	ADD R11, R2, R3
	ADD R11, R3, R4
	ADD R11, R4, R5
	ADD R11, R5, R6
	MOVD b+24(FP), R7
	MOVD c+32(FP), R8
	MOVD ldc+40(FP), R9
	LSL $2, R9, R9
	CBZ R0, clamp616

loop616:
	VLD1.P 64(R7), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1R.P 4(R1), [V28.S4]
	VLD1R.P 4(R2), [V29.S4]
	VFMLA V24.S4, V28.S4, V0.S4
	VFMLA V25.S4, V28.S4, V1.S4
	VFMLA V26.S4, V28.S4, V2.S4
	VFMLA V27.S4, V28.S4, V3.S4
	VFMLA V24.S4, V29.S4, V4.S4
	VFMLA V25.S4, V29.S4, V5.S4
	VFMLA V26.S4, V29.S4, V6.S4
	VFMLA V27.S4, V29.S4, V7.S4
	VLD1R.P 4(R3), [V28.S4]
	VLD1R.P 4(R4), [V29.S4]
	VFMLA V24.S4, V28.S4, V8.S4
	VFMLA V25.S4, V28.S4, V9.S4
	VFMLA V26.S4, V28.S4, V10.S4
	VFMLA V27.S4, V28.S4, V11.S4
	VFMLA V24.S4, V29.S4, V12.S4
	VFMLA V25.S4, V29.S4, V13.S4
	VFMLA V26.S4, V29.S4, V14.S4
	VFMLA V27.S4, V29.S4, V15.S4
	VLD1R.P 4(R5), [V28.S4]
	VLD1R.P 4(R6), [V29.S4]
	VFMLA V24.S4, V28.S4, V16.S4
	VFMLA V25.S4, V28.S4, V17.S4
	VFMLA V26.S4, V28.S4, V18.S4
	VFMLA V27.S4, V28.S4, V19.S4
	VFMLA V24.S4, V29.S4, V20.S4
	VFMLA V25.S4, V29.S4, V21.S4
	VFMLA V26.S4, V29.S4, V22.S4
	VFMLA V27.S4, V29.S4, V23.S4
	SUBS $1, R0, R0
	BNE loop616

clamp616:
	MOVD clamp+56(FP), R10
	CBZ R10, store616
	VLD1R (R10), [V28.S4]
	ADD $4, R10, R10
	VLD1R (R10), [V29.S4]
	WORD $0x4e3cf400 // FMAX V0.4S, V0.4S, V28.4S
	WORD $0x4e3cf421 // FMAX V1.4S, V1.4S, V28.4S
	WORD $0x4e3cf442 // FMAX V2.4S, V2.4S, V28.4S
	WORD $0x4e3cf463 // FMAX V3.4S, V3.4S, V28.4S
	WORD $0x4e3cf484 // FMAX V4.4S, V4.4S, V28.4S
	WORD $0x4e3cf4a5 // FMAX V5.4S, V5.4S, V28.4S
	WORD $0x4e3cf4c6 // FMAX V6.4S, V6.4S, V28.4S
	WORD $0x4e3cf4e7 // FMAX V7.4S, V7.4S, V28.4S
	WORD $0x4e3cf508 // FMAX V8.4S, V8.4S, V28.4S
	WORD $0x4e3cf529 // FMAX V9.4S, V9.4S, V28.4S
	WORD $0x4e3cf54a // FMAX V10.4S, V10.4S, V28.4S
	WORD $0x4e3cf56b // FMAX V11.4S, V11.4S, V28.4S
	WORD $0x4e3cf58c // FMAX V12.4S, V12.4S, V28.4S
	WORD $0x4e3cf5ad // FMAX V13.4S, V13.4S, V28.4S
	WORD $0x4e3cf5ce // FMAX V14.4S, V14.4S, V28.4S
	WORD $0x4e3cf5ef // FMAX V15.4S, V15.4S, V28.4S
	WORD $0x4e3cf610 // FMAX V16.4S, V16.4S, V28.4S
	WORD $0x4e3cf631 // FMAX V17.4S, V17.4S, V28.4S
	WORD $0x4e3cf652 // FMAX V18.4S, V18.4S, V28.4S
	WORD $0x4e3cf673 // FMAX V19.4S, V19.4S, V28.4S
	WORD $0x4e3cf694 // FMAX V20.4S, V20.4S, V28.4S
	WORD $0x4e3cf6b5 // FMAX V21.4S, V21.4S, V28.4S
	WORD $0x4e3cf6d6 // FMAX V22.4S, V22.4S, V28.4S
	WORD $0x4e3cf6f7 // FMAX V23.4S, V23.4S, V28.4S
	WORD $0x4ebdf400 // FMIN V0.4S, V0.4S, V29.4S
	WORD $0x4ebdf421 // FMIN V1.4S, V1.4S, V29.4S
	WORD $0x4ebdf442 // FMIN V2.4S, V2.4S, V29.4S
	WORD $0x4ebdf463 // FMIN V3.4S, V3.4S, V29.4S
	WORD $0x4ebdf484 // FMIN V4.4S, V4.4S, V29.4S
	WORD $0x4ebdf4a5 // FMIN V5.4S, V5.4S, V29.4S
	WORD $0x4ebdf4c6 // FMIN V6.4S, V6.4S, V29.4S
	WORD $0x4ebdf4e7 // FMIN V7.4S, V7.4S, V29.4S
	WORD $0x4ebdf508 // FMIN V8.4S, V8.4S, V29.4S
	WORD $0x4ebdf529 // FMIN V9.4S, V9.4S, V29.4S
	WORD $0x4ebdf54a // FMIN V10.4S, V10.4S, V29.4S
	WORD $0x4ebdf56b // FMIN V11.4S, V11.4S, V29.4S
	WORD $0x4ebdf58c // FMIN V12.4S, V12.4S, V29.4S
	WORD $0x4ebdf5ad // FMIN V13.4S, V13.4S, V29.4S
	WORD $0x4ebdf5ce // FMIN V14.4S, V14.4S, V29.4S
	WORD $0x4ebdf5ef // FMIN V15.4S, V15.4S, V29.4S
	WORD $0x4ebdf610 // FMIN V16.4S, V16.4S, V29.4S
	WORD $0x4ebdf631 // FMIN V17.4S, V17.4S, V29.4S
	WORD $0x4ebdf652 // FMIN V18.4S, V18.4S, V29.4S
	WORD $0x4ebdf673 // FMIN V19.4S, V19.4S, V29.4S
	WORD $0x4ebdf694 // FMIN V20.4S, V20.4S, V29.4S
	WORD $0x4ebdf6b5 // FMIN V21.4S, V21.4S, V29.4S
	WORD $0x4ebdf6d6 // FMIN V22.4S, V22.4S, V29.4S
	WORD $0x4ebdf6f7 // FMIN V23.4S, V23.4S, V29.4S

store616:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R8)
	ADD R9, R8, R8
	VST1 [V4.S4, V5.S4, V6.S4, V7.S4], (R8)
	ADD R9, R8, R8
	VST1 [V8.S4, V9.S4, V10.S4, V11.S4], (R8)
	ADD R9, R8, R8
	VST1 [V12.S4, V13.S4, V14.S4, V15.S4], (R8)
	ADD R9, R8, R8
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R8)
	ADD R9, R8, R8
	VST1 [V20.S4, V21.S4, V22.S4, V23.S4], (R8)
	RET

// func sgemm6x8(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32)
//
// sgemm6x16 for a last panel of 8 columns (b packed 8 wide).
TEXT ·sgemm6x8(SB), NOSPLIT, $0-64
	MOVD bias+48(FP), R10
	VLD1 (R10), [V0.S4, V1.S4]
	VLD1 (R10), [V2.S4, V3.S4]
	VLD1 (R10), [V4.S4, V5.S4]
	VLD1 (R10), [V6.S4, V7.S4]
	VLD1 (R10), [V8.S4, V9.S4]
	VLD1 (R10), [V10.S4, V11.S4]
	MOVD k+0(FP), R0
	MOVD a+8(FP), R1
	MOVD lda+16(FP), R11
	LSL $2, R11, R11
	ADD R11, R1, R2
	ADD R11, R2, R3
	ADD R11, R3, R4
	ADD R11, R4, R5
	ADD R11, R5, R6
	MOVD b+24(FP), R7
	MOVD c+32(FP), R8
	MOVD ldc+40(FP), R9
	LSL $2, R9, R9
	CBZ R0, clampm68

loopm68:
	VLD1.P 32(R7), [V24.S4, V25.S4]
	VLD1R.P 4(R1), [V28.S4]
	VLD1R.P 4(R2), [V29.S4]
	VFMLA V24.S4, V28.S4, V0.S4
	VFMLA V25.S4, V28.S4, V1.S4
	VFMLA V24.S4, V29.S4, V2.S4
	VFMLA V25.S4, V29.S4, V3.S4
	VLD1R.P 4(R3), [V28.S4]
	VLD1R.P 4(R4), [V29.S4]
	VFMLA V24.S4, V28.S4, V4.S4
	VFMLA V25.S4, V28.S4, V5.S4
	VFMLA V24.S4, V29.S4, V6.S4
	VFMLA V25.S4, V29.S4, V7.S4
	VLD1R.P 4(R5), [V28.S4]
	VLD1R.P 4(R6), [V29.S4]
	VFMLA V24.S4, V28.S4, V8.S4
	VFMLA V25.S4, V28.S4, V9.S4
	VFMLA V24.S4, V29.S4, V10.S4
	VFMLA V25.S4, V29.S4, V11.S4
	SUBS $1, R0, R0
	BNE loopm68

clampm68:
	MOVD clamp+56(FP), R10
	CBZ R10, storem68
	VLD1R (R10), [V28.S4]
	ADD $4, R10, R10
	VLD1R (R10), [V29.S4]
	WORD $0x4e3cf400 // FMAX V0.4S, V0.4S, V28.4S
	WORD $0x4e3cf421 // FMAX V1.4S, V1.4S, V28.4S
	WORD $0x4e3cf442 // FMAX V2.4S, V2.4S, V28.4S
	WORD $0x4e3cf463 // FMAX V3.4S, V3.4S, V28.4S
	WORD $0x4e3cf484 // FMAX V4.4S, V4.4S, V28.4S
	WORD $0x4e3cf4a5 // FMAX V5.4S, V5.4S, V28.4S
	WORD $0x4e3cf4c6 // FMAX V6.4S, V6.4S, V28.4S
	WORD $0x4e3cf4e7 // FMAX V7.4S, V7.4S, V28.4S
	WORD $0x4e3cf508 // FMAX V8.4S, V8.4S, V28.4S
	WORD $0x4e3cf529 // FMAX V9.4S, V9.4S, V28.4S
	WORD $0x4e3cf54a // FMAX V10.4S, V10.4S, V28.4S
	WORD $0x4e3cf56b // FMAX V11.4S, V11.4S, V28.4S
	WORD $0x4ebdf400 // FMIN V0.4S, V0.4S, V29.4S
	WORD $0x4ebdf421 // FMIN V1.4S, V1.4S, V29.4S
	WORD $0x4ebdf442 // FMIN V2.4S, V2.4S, V29.4S
	WORD $0x4ebdf463 // FMIN V3.4S, V3.4S, V29.4S
	WORD $0x4ebdf484 // FMIN V4.4S, V4.4S, V29.4S
	WORD $0x4ebdf4a5 // FMIN V5.4S, V5.4S, V29.4S
	WORD $0x4ebdf4c6 // FMIN V6.4S, V6.4S, V29.4S
	WORD $0x4ebdf4e7 // FMIN V7.4S, V7.4S, V29.4S
	WORD $0x4ebdf508 // FMIN V8.4S, V8.4S, V29.4S
	WORD $0x4ebdf529 // FMIN V9.4S, V9.4S, V29.4S
	WORD $0x4ebdf54a // FMIN V10.4S, V10.4S, V29.4S
	WORD $0x4ebdf56b // FMIN V11.4S, V11.4S, V29.4S

storem68:
	VST1 [V0.S4, V1.S4], (R8)
	ADD R9, R8, R8
	VST1 [V2.S4, V3.S4], (R8)
	ADD R9, R8, R8
	VST1 [V4.S4, V5.S4], (R8)
	ADD R9, R8, R8
	VST1 [V6.S4, V7.S4], (R8)
	ADD R9, R8, R8
	VST1 [V8.S4, V9.S4], (R8)
	ADD R9, R8, R8
	VST1 [V10.S4, V11.S4], (R8)
	RET

// func dwConv(o *float32, x *float32, w *float32, n int, ch8 int, och int, kh int, kw int, xstep int, rowStride int, colStep int)
//
// The amd64 dwConv in NEON: depthwise convolution of n output pixels whose
// taps are all inside the input, first ch8 channels (a multiple of 8), byte
// strides; four pixels x 8 channels at a time share each weight load.
TEXT ·dwConv(SB), NOSPLIT, $0-88
	MOVD o+0(FP), R0
	MOVD x+8(FP), R1
	MOVD w+16(FP), R2
	MOVD n+24(FP), R3
	MOVD ch8+32(FP), R4
	LSL $2, R4, R4
	MOVD xstep+64(FP), R5
	MOVD och+40(FP), R13
	MOVD colStep+80(FP), R14
	MOVD rowStride+72(FP), R15

dwquad:
	CMP $4, R3
	BLT dwsingle
	MOVD $0, R6

dwqchan:
	CMP R4, R6
	BGE dwqnext
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	ADD R6, R1, R7
	ADD R6, R2, R8
	MOVD kh+48(FP), R9

dwqrow:
	MOVD R7, R10
	MOVD kw+56(FP), R11

dwqtap:
	VLD1 (R8), [V16.S4, V17.S4]
	ADD R5, R10, R12
	ADD R5, R12, R19
	ADD R5, R19, R20
	VLD1 (R10), [V20.S4, V21.S4]
	VLD1 (R12), [V22.S4, V23.S4]
	VLD1 (R19), [V24.S4, V25.S4]
	VLD1 (R20), [V26.S4, V27.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VFMLA V17.S4, V21.S4, V1.S4
	VFMLA V16.S4, V22.S4, V2.S4
	VFMLA V17.S4, V23.S4, V3.S4
	VFMLA V16.S4, V24.S4, V4.S4
	VFMLA V17.S4, V25.S4, V5.S4
	VFMLA V16.S4, V26.S4, V6.S4
	VFMLA V17.S4, V27.S4, V7.S4
	ADD R14, R10, R10
	ADD R13, R8, R8
	SUBS $1, R11, R11
	BNE dwqtap
	ADD R15, R7, R7
	SUBS $1, R9, R9
	BNE dwqrow

	ADD R6, R0, R12
	VST1 [V0.S4, V1.S4], (R12)
	ADD R13, R12, R12
	VST1 [V2.S4, V3.S4], (R12)
	ADD R13, R12, R12
	VST1 [V4.S4, V5.S4], (R12)
	ADD R13, R12, R12
	VST1 [V6.S4, V7.S4], (R12)
	ADD $32, R6, R6
	B dwqchan

dwqnext:
	ADD R5<<2, R1, R1
	ADD R13<<2, R0, R0
	SUB $4, R3, R3
	B dwquad

dwsingle:
	CBZ R3, dwdone

dwpixel:
	MOVD $0, R6

dwchan:
	CMP R4, R6
	BGE dwnext
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	ADD R6, R1, R7
	ADD R6, R2, R8
	MOVD kh+48(FP), R9

dwrow:
	MOVD R7, R10
	MOVD kw+56(FP), R11

dwtap:
	VLD1 (R8), [V16.S4, V17.S4]
	VLD1 (R10), [V20.S4, V21.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VFMLA V17.S4, V21.S4, V1.S4
	ADD R14, R10, R10
	ADD R13, R8, R8
	SUBS $1, R11, R11
	BNE dwtap
	ADD R15, R7, R7
	SUBS $1, R9, R9
	BNE dwrow

	ADD R6, R0, R12
	VST1 [V0.S4, V1.S4], (R12)
	ADD $32, R6, R6
	B dwchan

dwnext:
	ADD R5, R1, R1
	ADD R13, R0, R0
	SUBS $1, R3, R3
	BNE dwpixel

dwdone:
	RET

// func biasClamp(o *float32, bias *float32, clamp *float32, rows int, n int)
//
// For each of rows rows of n values: o += bias (unless bias is nil), then
// o = min(max(o, clamp[0]), clamp[1]) (unless clamp is nil). FADD, FMAX
// and FMIN on vectors are encoded by hand.
TEXT ·biasClamp(SB), NOSPLIT, $0-40
	MOVD o+0(FP), R0
	MOVD bias+8(FP), R1
	MOVD clamp+16(FP), R2
	MOVD rows+24(FP), R3
	MOVD n+32(FP), R4
	CBZ R2, bcnoclamp
	VLD1R (R2), [V30.S4]
	ADD $4, R2, R5
	VLD1R (R5), [V31.S4]

bcnoclamp:
	CBZ R3, bcdone

bcrow:
	MOVD $0, R6
	MOVD R0, R7
	MOVD R1, R8

bcvec:
	ADD $4, R6, R9
	CMP R4, R9
	BGT bctail
	VLD1 (R7), [V0.S4]
	CBZ R1, bcvclamp
	VLD1.P 16(R8), [V1.S4]
	WORD $0x4e21d400 // FADD V0.4S, V0.4S, V1.4S

bcvclamp:
	CBZ R2, bcvstore
	WORD $0x4e3ef400 // FMAX V0.4S, V0.4S, V30.4S
	WORD $0x4ebff400 // FMIN V0.4S, V0.4S, V31.4S

bcvstore:
	VST1.P [V0.S4], 16(R7)
	MOVD R9, R6
	B bcvec

bctail:
	CMP R4, R6
	BGE bcnext
	FMOVS (R7), F0
	CBZ R1, bctclamp
	FMOVS.P 4(R8), F1
	FADDS F1, F0, F0

bctclamp:
	CBZ R2, bctstore
	FMAXS F30, F0, F0
	FMINS F31, F0, F0

bctstore:
	FMOVS.P F0, 4(R7)
	ADD $1, R6, R6
	B bctail

bcnext:
	ADD R4<<2, R0, R0
	SUBS $1, R3, R3
	BNE bcrow

bcdone:
	RET

// func addRelu(o *float32, a *float32, b *float32, n int)
//
// o[i] = max(a[i] + b[i], 0) for i < n; FADD/FMAX encoded by hand.
TEXT ·addRelu(SB), NOSPLIT, $0-32
	MOVD o+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
	VEOR V31.B16, V31.B16, V31.B16
	FMOVS ZR, F30

arloop:
	CMP $16, R3
	BLT artail
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R2), [V4.S4, V5.S4, V6.S4, V7.S4]
	WORD $0x4e24d400 // FADD V0.4S, V0.4S, V4.4S
	WORD $0x4e25d421 // FADD V1.4S, V1.4S, V5.4S
	WORD $0x4e26d442 // FADD V2.4S, V2.4S, V6.4S
	WORD $0x4e27d463 // FADD V3.4S, V3.4S, V7.4S
	WORD $0x4e3ff400 // FMAX V0.4S, V0.4S, V31.4S
	WORD $0x4e3ff421 // FMAX V1.4S, V1.4S, V31.4S
	WORD $0x4e3ff442 // FMAX V2.4S, V2.4S, V31.4S
	WORD $0x4e3ff463 // FMAX V3.4S, V3.4S, V31.4S
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB $16, R3, R3
	B arloop

artail:
	CBZ R3, ardone
	FMOVS.P 4(R1), F0
	FMOVS.P 4(R2), F1
	FADDS F1, F0, F0
	FMAXS F30, F0, F0
	FMOVS.P F0, 4(R0)
	SUB $1, R3, R3
	B artail

ardone:
	RET
