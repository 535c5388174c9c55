package nn

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// window is the geometry of a 2-D sliding window over NHWC data.
type window struct {
	kh, kw, sh, sw, dh, dw int
	padding                string // SAME, VALID or EXPLICIT
	explicit               [4]int // top, bottom, left, right for EXPLICIT
}

func parseWindow(b *buildCtx, kh, kw int) (window, error) {
	w := window{kh: kh, kw: kw, sh: 1, sw: 1, dh: 1, dw: 1}
	if f, err := b.attrs.str("data_format", "NHWC"); err != nil {
		return w, err
	} else if f != "NHWC" {
		return w, fmt.Errorf("data_format %s not supported (only NHWC)", f)
	}
	strides, err := b.attrs.ints("strides")
	if err != nil {
		return w, err
	}
	if strides != nil {
		if len(strides) != 4 || strides[0] != 1 || strides[3] != 1 {
			return w, fmt.Errorf("strides %v not supported (want [1,h,w,1])", strides)
		}
		w.sh, w.sw = strides[1], strides[2]
	}
	dil, err := b.attrs.ints("dilations")
	if err != nil {
		return w, err
	}
	if dil != nil {
		if len(dil) != 4 || dil[0] != 1 || dil[3] != 1 {
			return w, fmt.Errorf("dilations %v not supported (want [1,h,w,1])", dil)
		}
		w.dh, w.dw = dil[1], dil[2]
	}
	if w.sh < 1 || w.sw < 1 || w.dh < 1 || w.dw < 1 || kh < 1 || kw < 1 {
		return w, fmt.Errorf("bad window: kernel %dx%d strides %dx%d dilations %dx%d", kh, kw, w.sh, w.sw, w.dh, w.dw)
	}
	if w.padding, err = b.attrs.str("padding", "VALID"); err != nil {
		return w, err
	}
	switch w.padding {
	case "SAME", "VALID":
	case "EXPLICIT":
		p, err := b.attrs.ints("explicit_paddings")
		if err != nil {
			return w, err
		}
		if len(p) != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 {
			return w, fmt.Errorf("explicit_paddings %v not supported (want 8 values, padding only H and W)", p)
		}
		w.explicit = [4]int{p[2], p[3], p[4], p[5]}
		for _, v := range w.explicit {
			if v < 0 {
				return w, fmt.Errorf("negative explicit_paddings %v", p)
			}
		}
	default:
		return w, fmt.Errorf("padding %q not supported", w.padding)
	}
	return w, nil
}

// out returns the output size and the top/left padding for an h×w input,
// following TensorFlow's rules (SAME puts the odd padding at the bottom/right).
func (w *window) out(h, wd int) (oh, ow, pt, pl int, err error) {
	ekh := (w.kh-1)*w.dh + 1
	ekw := (w.kw-1)*w.dw + 1
	switch w.padding {
	case "SAME":
		oh = (h + w.sh - 1) / w.sh
		ow = (wd + w.sw - 1) / w.sw
		pt = max((oh-1)*w.sh+ekh-h, 0) / 2
		pl = max((ow-1)*w.sw+ekw-wd, 0) / 2
	case "VALID":
		if h >= ekh {
			oh = (h-ekh)/w.sh + 1
		}
		if wd >= ekw {
			ow = (wd-ekw)/w.sw + 1
		}
	case "EXPLICIT":
		pt, pl = w.explicit[0], w.explicit[2]
		if hh := h + w.explicit[0] + w.explicit[1]; hh >= ekh {
			oh = (hh-ekh)/w.sh + 1
		}
		if ww := wd + w.explicit[2] + w.explicit[3]; ww >= ekw {
			ow = (ww-ekw)/w.sw + 1
		}
	}
	if oh <= 0 || ow <= 0 {
		return 0, 0, 0, 0, fmt.Errorf("input %dx%d too small for a %dx%d window (%s)", h, wd, ekh, ekw, w.padding)
	}
	return oh, ow, pt, pl, nil
}

// image checks that x is a batch-1 NHWC tensor with c channels (c < 0: any)
// and returns its height, width and channels.
func image(x *Tensor, c int) (h, w, ch int, err error) {
	if len(x.Shape) != 4 {
		return 0, 0, 0, fmt.Errorf("input shape %v: want rank 4 (NHWC)", x.Shape)
	}
	if x.Shape[0] != 1 {
		return 0, 0, 0, fmt.Errorf("input shape %v: batch size %d not supported (only 1)", x.Shape, x.Shape[0])
	}
	if c >= 0 && x.Shape[3] != c {
		return 0, 0, 0, fmt.Errorf("input shape %v: want %d channels", x.Shape, c)
	}
	return x.Shape[1], x.Shape[2], x.Shape[3], nil
}

type activation int

const (
	actNone activation = iota
	actRelu
	actRelu6
	actPrelu
	actLeaky
	actElu
	actSigmoid
	actClamp // min(max(v, lo), hi)
)

// epilogue is the bias and activation fused into a conv or matmul.
type epilogue struct {
	bias  []float32 // per output channel, or nil
	act   activation
	alpha []float32 // Prelu slope per output channel
	leak  float32   // LeakyRelu slope
	lo    float32   // actClamp bounds
	hi    float32
}

// parseFused reads fused_ops and their arguments, which start at input
// first, for an op with co output channels.
func parseFused(b *buildCtx, first, co int) (epilogue, error) {
	var e epilogue
	ops, err := b.attrs.strs("fused_ops")
	if err != nil {
		return e, err
	}
	arg := first
	next := func(what string) ([]float32, error) {
		if arg >= len(b.ins) {
			return nil, fmt.Errorf("fused %s: missing argument %d", what, arg)
		}
		t, err := b.constIn(arg)
		arg++
		if err != nil {
			return nil, fmt.Errorf("fused %s: %w", what, err)
		}
		return perChannel(t, co, what)
	}
	for i, op := range ops {
		if e.act != actNone {
			return e, fmt.Errorf("fused_ops %v: nothing may follow the activation", ops)
		}
		switch op {
		case "BiasAdd":
			if i != 0 {
				return e, fmt.Errorf("fused_ops %v: BiasAdd must come first", ops)
			}
			if e.bias, err = next("BiasAdd"); err != nil {
				return e, err
			}
		case "Relu":
			e.act = actRelu
		case "Relu6":
			e.act = actRelu6
		case "Elu":
			e.act = actElu
		case "Sigmoid":
			e.act = actSigmoid
		case "LeakyRelu":
			e.act = actLeaky
			if e.leak, err = b.attrs.float("leakyrelu_alpha", 0.2); err != nil {
				return e, err
			}
		case "Prelu":
			e.act = actPrelu
			if e.alpha, err = next("Prelu"); err != nil {
				return e, err
			}
		default:
			return e, fmt.Errorf("fused op %q not supported (fused_ops %v)", op, ops)
		}
	}
	if arg != len(b.ins) {
		return e, fmt.Errorf("fused_ops %v use %d inputs, node has %d", ops, arg, len(b.ins))
	}
	return e, nil
}

// perChannel expands a bias or slope to one value per channel.
func perChannel(t *Tensor, co int, what string) ([]float32, error) {
	switch len(t.Data) {
	case co:
		return t.Data, nil
	case 1:
		v := make([]float32, co)
		for i := range v {
			v[i] = t.Data[0]
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s shape %v does not match %d channels", what, t.Shape, co)
}

// clampOf returns the [lo, hi] clamp an activation is, or nil.
func (e *epilogue) clampOf() []float32 {
	switch e.act {
	case actRelu:
		return []float32{0, float32(math.Inf(1))}
	case actRelu6:
		return []float32{0, 6}
	case actClamp:
		return []float32{e.lo, e.hi}
	}
	return nil
}

// apply runs the epilogue over rows of co channels.
func (e *epilogue) apply(out []float32, co int) {
	if useDW && len(out) >= co && co > 0 && (e.act == actNone || e.act == actRelu || e.act == actRelu6 || e.act == actClamp) {
		if e.bias == nil && e.act == actNone {
			return
		}
		var bias, clamp *float32
		if e.bias != nil {
			bias = &e.bias[0]
		}
		if e.act != actNone {
			var lh [2]float32
			switch e.act {
			case actRelu:
				lh = [2]float32{0, float32(math.Inf(1))}
			case actRelu6:
				lh = [2]float32{0, 6}
			default:
				lh = [2]float32{e.lo, e.hi}
			}
			clamp = &lh[0]
		}
		biasClamp(&out[0], bias, clamp, len(out)/co, co)
		return
	}
	if e.bias != nil {
		bias := e.bias[:co]
		for off := 0; off+co <= len(out); off += co {
			row := out[off : off+co]
			for j := range row {
				row[j] += bias[j]
			}
		}
	}
	switch e.act {
	case actNone:
	case actRelu:
		for i, v := range out {
			out[i] = relu32(v)
		}
	case actRelu6:
		for i, v := range out {
			out[i] = min(max(v, 0), 6)
		}
	case actPrelu:
		alpha := e.alpha[:co]
		for off := 0; off+co <= len(out); off += co {
			row := out[off : off+co]
			for j, v := range row {
				r := relu32(v)
				row[j] = r + alpha[j]*(v-r)
			}
		}
	case actLeaky:
		for i, v := range out {
			if v < 0 {
				out[i] = v * e.leak
			}
		}
	case actElu:
		for i, v := range out {
			if v < 0 {
				out[i] = float32(math.Expm1(float64(v)))
			}
		}
	case actSigmoid:
		for i, v := range out {
			out[i] = sigmoid(v)
		}
	case actClamp:
		for i, v := range out {
			out[i] = min(max(v, e.lo), e.hi)
		}
	}
}

func sigmoid(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) }

// conv2d is a Conv2D computed as im2col + GEMM. The filter is stored as the
// [kh*kw*ci, co] matrix (TF's HWIO layout already is that matrix).
type conv2d struct {
	win     window
	ci, co  int
	w       []float32
	packed  []float32 // w in 16-column panels for sgemm6x16, if available
	pbias   []float32 // bias padded to the panels (zeros if none)
	clamp   []float32 // [lo, hi] the kernel clamps to, or nil
	post    epilogue  // what remains of ep after sgemm6x16
	ep      epilogue
	pointer bool // 1x1, stride 1, no padding: the input already is the im2col matrix
}

func buildConv2D(b *buildCtx) (kernel, error) {
	c, err := parseConv2D(b)
	if err != nil {
		return nil, err
	}
	c.prepare()
	return c.run, nil
}

// parseConv2D reads a Conv2D or _FusedConv2D node; prepare must follow.
func parseConv2D(b *buildCtx) (*conv2d, error) {
	if len(b.ins) < 2 {
		return nil, fmt.Errorf("want at least 2 inputs, got %d", len(b.ins))
	}
	f, err := b.constIn(1)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	if len(f.Shape) != 4 {
		return nil, fmt.Errorf("filter shape %v: want [kh,kw,in,out]", f.Shape)
	}
	c := &conv2d{ci: f.Shape[2], co: f.Shape[3], w: f.Data}
	if c.win, err = parseWindow(b, f.Shape[0], f.Shape[1]); err != nil {
		return nil, err
	}
	if b.node.Op == "_FusedConv2D" {
		if c.ep, err = parseFused(b, 2, c.co); err != nil {
			return nil, err
		}
	} else if len(b.ins) != 2 {
		return nil, fmt.Errorf("want 2 inputs, got %d", len(b.ins))
	}
	return c, nil
}

// prepare packs the weights for the assembly kernel and splits the
// epilogue between the kernel (bias, Relu, Relu6, clamp) and Go.
func (c *conv2d) prepare() {
	w := c.win
	c.pointer = w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 && (w.padding != "EXPLICIT" || w.explicit == [4]int{})
	if !gemmAvailable {
		return
	}
	k := w.kh * w.kw * c.ci
	c.packed = pack16(c.w, k, c.co)
	c.pbias = make([]float32, len(c.packed)/k)
	copy(c.pbias, c.ep.bias)
	c.post = c.ep
	c.post.bias = nil
	if c.clamp = c.post.clampOf(); c.clamp != nil {
		c.post.act = actNone
	}
}

// gemmRows is how many output pixels one im2col chunk holds: small enough to
// stay in cache, a multiple of the 6-row assembly kernel, and (with
// gemmCols) below gonum's threshold for spawning goroutines, so Run stays on
// the caller's goroutine.
const (
	gemmRows = 96
	gemmCols = 128
)

var sgemm = gonum.Implementation{}.Sgemm

// gemm computes c = a·b for row-major a (m×k), b (k×n), c (m×n) in tiles
// that keep gonum on its serial path.
func gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for j := 0; j < n; j += gemmCols {
		nn := min(gemmCols, n-j)
		for i := 0; i < m; i += gemmRows {
			mm := min(gemmRows, m-i)
			sgemm(blas.NoTrans, blas.NoTrans, mm, nn, k, 1, a[i*lda:], lda, b[j:], ldb, 0, c[i*ldc+j:], ldc)
		}
	}
}

// pack16 lays a row-major k×n matrix out as panels of k×16, zero-padded,
// the layout sgemm6x16 reads; a last panel of at most 8 columns is packed
// k×8 for sgemm6x8. Panel p starts at p*k*16 either way.
func pack16(b []float32, k, n int) []float32 {
	panels := (n + 15) / 16
	out := make([]float32, panels*k*16)
	for p := 0; p < panels; p++ {
		cols := min(16, n-p*16)
		width := panelWidth(cols)
		for l := 0; l < k; l++ {
			copy(out[p*k*16+l*width:p*k*16+l*width+cols], b[l*n+p*16:])
		}
	}
	return out
}

func panelWidth(cols int) int {
	if cols <= 8 {
		return 8
	}
	return 16
}

// gemmPacked computes c = a·b + bias, clamped to clamp[0..1] unless clamp
// is nil, with the assembly
// kernels, for row-major a (m×k), c (m×n), b packed by pack16 and bias
// padded to its panels. apad is scratch of 6*k values.
func gemmPacked(m, n, k int, a []float32, lda int, bp, bias, clamp []float32, c []float32, ldc int, apad []float32) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		panic("nn: gemmPacked with k == 0")
	}
	var tmp [6 * 16]float32
	var cl *float32
	if clamp != nil {
		cl = &clamp[0]
	}
	// The last rows, if fewer than 6, are copied once into zero-padded
	// scratch that every panel reads.
	if tail := m % 6; tail != 0 {
		for r := 0; r < 6; r++ {
			dst := apad[r*k : (r+1)*k]
			if r < tail {
				copy(dst, a[(m-tail+r)*lda:])
			} else {
				clear(dst)
			}
		}
	}
	for p := 0; p*16 < n; p++ {
		j0 := p * 16
		cols := min(16, n-j0)
		width := panelWidth(cols)
		// A func value would make tmp escape: call the kernels directly.
		kern := func(k int, a *float32, lda int, b *float32, c *float32, ldc int, bias *float32, clamp *float32) {
			if width == 8 {
				sgemm6x8(k, a, lda, b, c, ldc, bias, clamp)
			} else {
				sgemm6x16(k, a, lda, b, c, ldc, bias, clamp)
			}
		}
		panel := bp[p*k*16 : p*k*16+k*width]
		pb := bias[p*16 : (p+1)*16]
		for i := 0; i < m; i += 6 {
			rows := min(6, m-i)
			ap, ld := a[i*lda:], lda
			if rows < 6 {
				ap, ld = apad, k
			}
			if rows == 6 && cols == width {
				_ = c[(i+5)*ldc+j0+width-1]
				kern(k, &ap[0], ld, &panel[0], &c[i*ldc+j0], ldc, &pb[0], cl)
				continue
			}
			kern(k, &ap[0], ld, &panel[0], &tmp[0], 16, &pb[0], cl)
			for r := 0; r < rows; r++ {
				copy(c[(i+r)*ldc+j0:(i+r)*ldc+j0+cols], tmp[r*16:r*16+cols])
			}
		}
	}
}

// matmul computes one chunk of the output, a·w plus the epilogue, by
// assembly when possible.
func (c *conv2d) matmul(rs *runState, m, k int, a []float32, lda int, dst []float32, apad *[]float32) {
	if useGEMM && c.packed != nil {
		if *apad == nil {
			*apad = rs.alloc(6 * k)
		}
		gemmPacked(m, c.co, k, a, lda, c.packed, c.pbias, c.clamp, dst, c.co, *apad)
		c.post.apply(dst, c.co)
		return
	}
	gemm(m, c.co, k, a, lda, c.w, c.co, dst, c.co)
	c.ep.apply(dst, c.co)
}

func (c *conv2d) run(rs *runState, in []*Tensor) (*Tensor, error) {
	h, w, _, err := image(in[0], c.ci)
	if err != nil {
		return nil, err
	}
	oh, ow, pt, pl, err := c.win.out(h, w)
	if err != nil {
		return nil, err
	}
	out := rs.tensor(1, oh, ow, c.co)
	x := in[0].Data
	m := oh * ow
	var apad []float32
	defer func() {
		if apad != nil {
			rs.free(apad)
		}
	}()
	if c.pointer {
		for r := 0; r < m; r += gemmRows {
			rows := min(gemmRows, m-r)
			dst := out.Data[r*c.co : (r+rows)*c.co]
			c.matmul(rs, rows, c.ci, x[r*c.ci:], c.ci, dst, &apad)
		}
		return out, nil
	}
	win := c.win
	ci := c.ci
	k := win.kh * win.kw * ci
	col := rs.alloc(gemmRows * k)
	defer rs.free(col)
	for r := 0; r < m; r += gemmRows {
		rows := min(gemmRows, m-r)
		for i := 0; i < rows; i++ {
			oy, ox := (r+i)/ow, (r+i)%ow
			dst := col[i*k : (i+1)*k]
			for ky := 0; ky < win.kh; ky++ {
				iy := oy*win.sh - pt + ky*win.dh
				row := dst[ky*win.kw*ci : (ky+1)*win.kw*ci]
				if iy < 0 || iy >= h {
					clear(row)
					continue
				}
				if ix0 := ox*win.sw - pl; win.dw == 1 && ix0 >= 0 && ix0+win.kw <= w {
					// The whole filter row reads one contiguous run.
					copy(row, x[(iy*w+ix0)*ci:])
					continue
				}
				for kx := 0; kx < win.kw; kx++ {
					ix := ox*win.sw - pl + kx*win.dw
					d := row[kx*ci : (kx+1)*ci]
					if ix < 0 || ix >= w {
						clear(d)
						continue
					}
					copy(d, x[(iy*w+ix)*ci:])
				}
			}
		}
		dst := out.Data[r*c.co : (r+rows)*c.co]
		c.matmul(rs, rows, k, col, k, dst, &apad)
	}
	return out, nil
}

// depthwise is a DepthwiseConv2dNative: filter [kh,kw,ci,mult], output
// channel c*mult+j reads input channel c.
type depthwise struct {
	win      window
	ci, mult int
	w        []float32 // [kh*kw, ci*mult]
	ep       epilogue  // applied to each finished output row
}

func buildDepthwise(b *buildCtx) (kernel, error) {
	d, err := parseDepthwise(b)
	if err != nil {
		return nil, err
	}
	return d.run, nil
}

func parseDepthwise(b *buildCtx) (*depthwise, error) {
	if len(b.ins) < 2 {
		return nil, fmt.Errorf("want at least 2 inputs, got %d", len(b.ins))
	}
	f, err := b.constIn(1)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	if len(f.Shape) != 4 {
		return nil, fmt.Errorf("filter shape %v: want [kh,kw,in,multiplier]", f.Shape)
	}
	d := &depthwise{ci: f.Shape[2], mult: f.Shape[3], w: f.Data}
	if d.win, err = parseWindow(b, f.Shape[0], f.Shape[1]); err != nil {
		return nil, err
	}
	if b.node.Op == "FusedDepthwiseConv2dNative" {
		if d.ep, err = parseFused(b, 2, d.ci*d.mult); err != nil {
			return nil, err
		}
	} else if len(b.ins) != 2 {
		return nil, fmt.Errorf("want 2 inputs, got %d", len(b.ins))
	}
	return d, nil
}

func (d *depthwise) run(rs *runState, in []*Tensor) (*Tensor, error) {
	h, w, _, err := image(in[0], d.ci)
	if err != nil {
		return nil, err
	}
	oh, ow, pt, pl, err := d.win.out(h, w)
	if err != nil {
		return nil, err
	}
	ci, co, mult := d.ci, d.ci*d.mult, d.mult
	out := rs.tensor(1, oh, ow, co)
	x := in[0].Data
	win := d.win
	// Output columns [ia, ib) read only real input columns, for every kx.
	ia := min((pl+win.sw-1)/win.sw, ow)
	ib := max(min((w-1-(win.kw-1)*win.dw+pl)/win.sw+1, ow), ia)
	if w-1-(win.kw-1)*win.dw+pl < 0 {
		ib = ia
	}
	ch8 := 0
	if useDW && mult == 1 {
		ch8 = co &^ 7
	}
	for oy := 0; oy < oh; oy++ {
		orow := out.Data[oy*ow*co : (oy+1)*ow*co]
		clear(orow)
		y0 := oy*win.sh - pt
		inner := ch8 > 0 && ib > ia && y0 >= 0 && y0+(win.kh-1)*win.dh < h
		if inner {
			// Interior pixels, first ch8 channels: sums kept in registers.
			xs := x[(y0*w+ia*win.sw-pl)*ci:]
			dwConv(&orow[ia*co], &xs[0], &d.w[0], ib-ia, ch8, co*4, win.kh, win.kw,
				win.sw*ci*4, win.dh*w*ci*4, win.dw*ci*4)
		}
		for ky := 0; ky < win.kh; ky++ {
			iy := y0 + ky*win.dh
			if iy < 0 || iy >= h {
				continue
			}
			xrow := x[iy*w*ci : (iy+1)*w*ci]
			for kx := 0; kx < win.kw; kx++ {
				// Output pixels ox[ox0..ox1] read input column ox*sw+off.
				off := kx*win.dw - pl
				ox0 := 0
				if off < 0 {
					ox0 = (-off + win.sw - 1) / win.sw
				}
				if w-1-off < 0 {
					continue
				}
				ox1 := min(ow-1, (w-1-off)/win.sw)
				if ox1 < ox0 {
					continue
				}
				wt := d.w[(ky*win.kw+kx)*co : (ky*win.kw+kx+1)*co]
				if inner {
					// dwConv did [ia, ib) for the first ch8 channels.
					d.taps(orow, xrow, wt, ox0, min(ox1, ia-1), off, co)
					d.taps(orow, xrow, wt, max(ox0, ib), ox1, off, co)
					if ch8 < co && ib > ia {
						ostep, xstep := co, win.sw*ci
						madRowsGo(orow[ia*co+ch8:], xrow[(ia*win.sw+off)*ci+ch8:], wt[ch8:], ib-ia, co-ch8, ostep, xstep)
					}
					continue
				}
				d.taps(orow, xrow, wt, ox0, ox1, off, co)
			}
		}
		d.ep.apply(orow, co)
	}
	return out, nil
}

// taps adds one filter tap to output pixels [ox0, ox1] of a row.
func (d *depthwise) taps(orow, xrow, wt []float32, ox0, ox1, off, co int) {
	if ox1 < ox0 {
		return
	}
	ci, sw, mult := d.ci, d.win.sw, d.mult
	n := ox1 - ox0 + 1
	xs := xrow[(ox0*sw+off)*ci : ((ox1*sw+off)+1)*ci]
	os := orow[ox0*co : (ox1+1)*co]
	switch {
	case mult == 1 && useAsm:
		madRows(&os[0], &xs[0], &wt[0], n, co, sw*ci)
	case mult == 1:
		madRowsGo(os, xs, wt, n, co, co, sw*ci)
	default:
		for p := 0; p < n; p++ {
			o := os[p*co : (p+1)*co]
			for c, v := range xs[p*sw*ci : p*sw*ci+ci] {
				for j := c * mult; j < (c+1)*mult; j++ {
					o[j] += v * wt[j]
				}
			}
		}
	}
}

// madRowsGo is madRows in Go, with an output pixel stride:
// o[p*ostep+c] += x[p*xstep+c] * w[c] for p < n, c < ch.
func madRowsGo(o, x, w []float32, n, ch, ostep, xstep int) {
	w = w[:ch]
	for p := 0; p < n; p++ {
		oo := o[p*ostep : p*ostep+ch]
		xx := x[p*xstep : p*xstep+ch]
		for c, v := range xx {
			oo[c] += v * w[c]
		}
	}
}

// pool is MaxPool or AvgPool; padded cells are ignored (TensorFlow's rule).
type pool struct {
	win window
	avg bool
}

func buildPool(b *buildCtx) (kernel, error) {
	if len(b.ins) != 1 {
		return nil, fmt.Errorf("want 1 input, got %d", len(b.ins))
	}
	k, err := b.attrs.ints("ksize")
	if err != nil {
		return nil, err
	}
	if len(k) != 4 || k[0] != 1 || k[3] != 1 {
		return nil, fmt.Errorf("ksize %v not supported (want [1,h,w,1])", k)
	}
	p := &pool{avg: b.node.Op == "AvgPool"}
	if p.win, err = parseWindow(b, k[1], k[2]); err != nil {
		return nil, err
	}
	return p.run, nil
}

func (p *pool) run(rs *runState, in []*Tensor) (*Tensor, error) {
	h, w, c, err := image(in[0], -1)
	if err != nil {
		return nil, err
	}
	oh, ow, pt, pl, err := p.win.out(h, w)
	if err != nil {
		return nil, err
	}
	out := rs.tensor(1, oh, ow, c)
	x := in[0].Data
	win := p.win
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			o := out.Data[(oy*ow+ox)*c : (oy*ow+ox+1)*c]
			n := 0
			for ky := 0; ky < win.kh; ky++ {
				iy := oy*win.sh - pt + ky*win.dh
				if iy < 0 || iy >= h {
					continue
				}
				for kx := 0; kx < win.kw; kx++ {
					ix := ox*win.sw - pl + kx*win.dw
					if ix < 0 || ix >= w {
						continue
					}
					xs := x[(iy*w+ix)*c : (iy*w+ix+1)*c]
					xs = xs[:len(o)]
					switch {
					case n == 0:
						copy(o, xs)
					case p.avg:
						for i, v := range xs {
							o[i] += v
						}
					default:
						for i, v := range xs {
							o[i] = max(o[i], v)
						}
					}
					n++
				}
			}
			if n == 0 { // EXPLICIT padding wider than the window
				clear(o)
				continue
			}
			if p.avg {
				inv := 1 / float32(n)
				for i := range o {
					o[i] *= inv
				}
			}
		}
	}
	return out, nil
}
