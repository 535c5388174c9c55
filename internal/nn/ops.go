package nn

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
)

// buildCtx is what an op builder sees of its node at Load.
type buildCtx struct {
	node  nodeDef
	attrs attrs
	ins   []int // a builder that fuses may replace them
	m     *Model
	g     *graphInfo
}

// constIn returns input i if it is a Const.
func (b *buildCtx) constIn(i int) (*Tensor, error) {
	if i >= len(b.ins) {
		return nil, fmt.Errorf("missing input %d", i)
	}
	t := b.m.consts[b.ins[i]]
	if t == nil {
		return nil, fmt.Errorf("input %d must be a Const", i)
	}
	return t, nil
}

func (b *buildCtx) want(n int) error {
	if len(b.ins) != n {
		return fmt.Errorf("want %d inputs, got %d", n, len(b.ins))
	}
	return nil
}

// builders maps each supported op to the function that checks its node at
// Load and returns its kernel.
var builders map[string]func(*buildCtx) (kernel, error)

func init() {
	builders = map[string]func(*buildCtx) (kernel, error){
		"Conv2D":                     buildConv2D,
		"_FusedConv2D":               buildConv2D,
		"DepthwiseConv2dNative":      buildDepthwise,
		"FusedDepthwiseConv2dNative": buildDepthwise,
		"MaxPool":                    buildPool,
		"AvgPool":                    buildPool,
		"MatMul":                     buildMatMul,
		"_FusedMatMul":               buildMatMul,
		"BiasAdd":                    buildBinary,
		"Add":                        buildBinary,
		"AddV2":                      buildBinary,
		"Sub":                        buildBinary,
		"Mul":                        buildBinary,
		"RealDiv":                    buildBinary,
		"Div":                        buildBinary,
		"Maximum":                    buildBinary,
		"Minimum":                    buildBinary,
		"SquaredDifference":          buildBinary,
		"Prelu":                      buildBinary,
		"Relu":                       buildUnary,
		"Relu6":                      buildUnary,
		"Elu":                        buildUnary,
		"LeakyRelu":                  buildUnary,
		"Sigmoid":                    buildUnary,
		"Tanh":                       buildUnary,
		"Abs":                        buildUnary,
		"Neg":                        buildUnary,
		"Square":                     buildUnary,
		"Sqrt":                       buildUnary,
		"Rsqrt":                      buildUnary,
		"Exp":                        buildUnary,
		"Log":                        buildUnary,
		"Identity":                   buildIdentity,
		"StopGradient":               buildIdentity,
		"Reshape":                    buildReshape,
		"Squeeze":                    buildSqueeze,
		"ExpandDims":                 buildExpandDims,
		"Pad":                        buildPad,
		"PadV2":                      buildPad,
		"Sum":                        buildReduce,
		"Mean":                       buildReduce,
		"Max":                        buildReduce,
		"Min":                        buildReduce,
		"Softmax":                    buildSoftmax,
		"ConcatV2":                   buildConcat,
	}
}

// ---- element-wise unary ops ----

func buildUnary(b *buildCtx) (kernel, error) {
	if err := b.want(1); err != nil {
		return nil, err
	}
	op := b.node.Op
	switch op {
	case "Relu":
		if k := fuseAddAct(b, actRelu); k != nil {
			return k, nil
		}
	case "Relu6":
		if k := fuseAddAct(b, actRelu6); k != nil {
			return k, nil
		}
	}
	var alpha float32
	if op == "LeakyRelu" {
		var err error
		if alpha, err = b.attrs.float("alpha", 0.2); err != nil {
			return nil, err
		}
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x := in[0]
		out := rs.tensor(slices.Clone(x.Shape)...)
		o := out.Data[:len(x.Data)]
		switch op {
		case "Relu":
			for i, v := range x.Data {
				o[i] = relu32(v)
			}
		case "Relu6":
			for i, v := range x.Data {
				o[i] = min(max(v, 0), 6)
			}
		case "Elu":
			for i, v := range x.Data {
				if v < 0 {
					v = float32(math.Expm1(float64(v)))
				}
				o[i] = v
			}
		case "LeakyRelu":
			for i, v := range x.Data {
				if v < 0 {
					v *= alpha
				}
				o[i] = v
			}
		case "Sigmoid":
			for i, v := range x.Data {
				o[i] = sigmoid(v)
			}
		case "Tanh":
			for i, v := range x.Data {
				o[i] = float32(math.Tanh(float64(v)))
			}
		case "Abs":
			for i, v := range x.Data {
				o[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
			}
		case "Neg":
			for i, v := range x.Data {
				o[i] = -v
			}
		case "Square":
			for i, v := range x.Data {
				o[i] = v * v
			}
		case "Sqrt":
			for i, v := range x.Data {
				o[i] = float32(math.Sqrt(float64(v)))
			}
		case "Rsqrt":
			for i, v := range x.Data {
				o[i] = float32(1 / math.Sqrt(float64(v)))
			}
		case "Exp":
			for i, v := range x.Data {
				o[i] = float32(math.Exp(float64(v)))
			}
		case "Log":
			for i, v := range x.Data {
				o[i] = float32(math.Log(float64(v)))
			}
		}
		return out, nil
	}, nil
}

// ---- element-wise binary ops with numpy broadcasting ----

type binop int

const (
	opAdd binop = iota
	opSub
	opMul
	opDiv
	opMax
	opMin
	opSqDiff
	opPrelu
)

var binops = map[string]binop{
	"BiasAdd": opAdd, "Add": opAdd, "AddV2": opAdd, "Sub": opSub, "Mul": opMul,
	"RealDiv": opDiv, "Div": opDiv, "Maximum": opMax, "Minimum": opMin,
	"SquaredDifference": opSqDiff, "Prelu": opPrelu,
}

func (op binop) apply(a, b float32) float32 {
	switch op {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	case opDiv:
		return a / b
	case opMax:
		return max(a, b)
	case opMin:
		return min(a, b)
	case opSqDiff:
		return (a - b) * (a - b)
	default: // opPrelu: b is the slope
		if a < 0 {
			return a * b
		}
		return a
	}
}

func buildBinary(b *buildCtx) (kernel, error) {
	if err := b.want(2); err != nil {
		return nil, err
	}
	if f, err := b.attrs.str("data_format", "NHWC"); err != nil {
		return nil, err
	} else if f != "NHWC" {
		return nil, fmt.Errorf("data_format %s not supported (only NHWC)", f)
	}
	switch b.node.Op {
	case "Prelu":
		if k := fuseAddAct(b, actPrelu); k != nil {
			return k, nil
		}
	case "Add", "AddV2":
		if k := fusePreluForm(b); k != nil {
			return k, nil
		}
	case "Maximum", "Minimum":
		if k := fuseClip(b); k != nil {
			return k, nil
		}
	}
	op := binops[b.node.Op]
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		return broadcastOp(rs, op, in[0], in[1])
	}, nil
}

// broadcastShape returns numpy's broadcast of two shapes.
func broadcastShape(a, b []int) ([]int, error) {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := 0; i < n; i++ {
		da, db := 1, 1
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// isSuffix reports whether small (leading 1s dropped) equals the trailing
// dims of big, so small repeats every len(small) elements of big.
func isSuffix(small, big []int) bool {
	for len(small) > 0 && small[0] == 1 {
		small = small[1:]
	}
	if len(small) > len(big) {
		return false
	}
	return slices.Equal(small, big[len(big)-len(small):])
}

func broadcastOp(rs *runState, op binop, a, b *Tensor) (*Tensor, error) {
	shape, err := broadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	out := rs.tensor(shape...)
	o := out.Data
	switch {
	case len(a.Data) == len(o) && len(b.Data) == len(o):
		binSame(op, o, a.Data, b.Data)
	case len(a.Data) == len(o) && isSuffix(b.Shape, shape):
		binRows(op, o, a.Data, b.Data)
	case len(b.Data) == len(o) && isSuffix(a.Shape, shape):
		n := len(a.Data)
		for off := 0; off < len(o); off += n {
			oo, bb := o[off:off+n], b.Data[off:off+n]
			for i, v := range a.Data {
				oo[i] = op.apply(v, bb[i])
			}
		}
	default:
		binGeneral(op, shape, o, a, b)
	}
	return out, nil
}

// binSame applies op element-wise; b may be shorter only if it has length 1.
func binSame(op binop, o, a, b []float32) {
	if len(b) == 1 && len(a) != 1 {
		s := b[0]
		for i, v := range a {
			o[i] = op.apply(v, s)
		}
		return
	}
	o = o[:len(a)]
	b = b[:len(a)]
	switch op {
	case opAdd:
		for i, v := range a {
			o[i] = v + b[i]
		}
	case opSub:
		for i, v := range a {
			o[i] = v - b[i]
		}
	case opMul:
		for i, v := range a {
			o[i] = v * b[i]
		}
	case opMax:
		for i, v := range a {
			o[i] = max(v, b[i])
		}
	case opMin:
		for i, v := range a {
			o[i] = min(v, b[i])
		}
	default:
		for i, v := range a {
			o[i] = op.apply(v, b[i])
		}
	}
}

// binRows applies op between each len(b) run of a and b, with the switch
// outside the loops: b is often one value per channel, a short row.
func binRows(op binop, o, a, b []float32) {
	n := len(b)
	if n == 1 || n == len(a) {
		binSame(op, o, a, b)
		return
	}
	switch op {
	case opAdd:
		for off := 0; off+n <= len(o); off += n {
			oo, aa := o[off:off+n], a[off:off+n]
			for i, v := range aa {
				oo[i] = v + b[i]
			}
		}
	case opSub:
		for off := 0; off+n <= len(o); off += n {
			oo, aa := o[off:off+n], a[off:off+n]
			for i, v := range aa {
				oo[i] = v - b[i]
			}
		}
	case opMul:
		for off := 0; off+n <= len(o); off += n {
			oo, aa := o[off:off+n], a[off:off+n]
			for i, v := range aa {
				oo[i] = v * b[i]
			}
		}
	default:
		for off := 0; off+n <= len(o); off += n {
			oo, aa := o[off:off+n], a[off:off+n]
			for i, v := range aa {
				oo[i] = op.apply(v, b[i])
			}
		}
	}
}

// binGeneral handles any broadcast by walking the output index.
func binGeneral(op binop, shape []int, o []float32, a, b *Tensor) {
	n := len(shape)
	sa := broadcastStrides(a.Shape, n)
	sb := broadcastStrides(b.Shape, n)
	idx := make([]int, n)
	ia, ib := 0, 0
	for i := range o {
		o[i] = op.apply(a.Data[ia], b.Data[ib])
		for d := n - 1; d >= 0; d-- {
			idx[d]++
			ia += sa[d]
			ib += sb[d]
			if idx[d] < shape[d] {
				break
			}
			ia -= sa[d] * shape[d]
			ib -= sb[d] * shape[d]
			idx[d] = 0
		}
	}
}

// broadcastStrides returns strides of shape right-aligned to rank n, with 0
// for broadcast dims.
func broadcastStrides(shape []int, n int) []int {
	st := make([]int, n)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		j := n - len(shape) + i
		if shape[i] != 1 {
			st[j] = s
		}
		s *= shape[i]
	}
	return st
}

// ---- shape ops ----

func copyTensor(rs *runState, x *Tensor, shape []int) *Tensor {
	out := rs.tensor(shape...)
	copy(out.Data, x.Data)
	return out
}

func buildIdentity(b *buildCtx) (kernel, error) {
	if err := b.want(1); err != nil {
		return nil, err
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		return copyTensor(rs, in[0], slices.Clone(in[0].Shape)), nil
	}, nil
}

func toInts(t *Tensor) []int {
	out := make([]int, len(t.Data))
	for i, v := range t.Data {
		out[i] = int(v)
	}
	return out
}

func buildReshape(b *buildCtx) (kernel, error) {
	if err := b.want(2); err != nil {
		return nil, err
	}
	st, err := b.constIn(1)
	if err != nil {
		return nil, fmt.Errorf("shape: %w", err)
	}
	target := toInts(st)
	free := 0
	for _, d := range target {
		if d == -1 {
			free++
		} else if d < 0 {
			return nil, fmt.Errorf("bad target shape %v", target)
		}
	}
	if free > 1 {
		return nil, fmt.Errorf("target shape %v has more than one -1", target)
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		shape := slices.Clone(target)
		n, known := len(in[0].Data), 1
		for _, d := range shape {
			if d >= 0 {
				known *= d
			}
		}
		for i, d := range shape {
			if d == -1 {
				if known == 0 || n%known != 0 {
					return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", in[0].Shape, n, target)
				}
				shape[i] = n / known
				known = n
			}
		}
		if known != n {
			return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", in[0].Shape, n, target)
		}
		return copyTensor(rs, in[0], shape), nil
	}, nil
}

func buildSqueeze(b *buildCtx) (kernel, error) {
	if err := b.want(1); err != nil {
		return nil, err
	}
	dims, err := b.attrs.ints("squeeze_dims")
	if err != nil {
		return nil, err
	}
	if dims == nil {
		if dims, err = b.attrs.ints("axis"); err != nil {
			return nil, err
		}
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x := in[0]
		drop := make([]bool, len(x.Shape))
		if len(dims) == 0 {
			for i, d := range x.Shape {
				drop[i] = d == 1
			}
		}
		for _, d := range dims {
			if d < 0 {
				d += len(x.Shape)
			}
			if d < 0 || d >= len(x.Shape) || x.Shape[d] != 1 {
				return nil, fmt.Errorf("cannot squeeze dims %v of shape %v", dims, x.Shape)
			}
			drop[d] = true
		}
		var shape []int
		for i, d := range x.Shape {
			if !drop[i] {
				shape = append(shape, d)
			}
		}
		return copyTensor(rs, x, shape), nil
	}, nil
}

func buildExpandDims(b *buildCtx) (kernel, error) {
	if err := b.want(2); err != nil {
		return nil, err
	}
	at, err := b.constIn(1)
	if err != nil {
		return nil, fmt.Errorf("axis: %w", err)
	}
	if len(at.Data) != 1 {
		return nil, fmt.Errorf("axis %v: want a scalar", at.Data)
	}
	axis := int(at.Data[0])
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x := in[0]
		a := axis
		if a < 0 {
			a += len(x.Shape) + 1
		}
		if a < 0 || a > len(x.Shape) {
			return nil, fmt.Errorf("axis %d out of range for shape %v", axis, x.Shape)
		}
		shape := slices.Insert(slices.Clone(x.Shape), a, 1)
		return copyTensor(rs, x, shape), nil
	}, nil
}

func buildPad(b *buildCtx) (kernel, error) {
	n := 2
	if b.node.Op == "PadV2" {
		n = 3
	}
	if err := b.want(n); err != nil {
		return nil, err
	}
	pt, err := b.constIn(1)
	if err != nil {
		return nil, fmt.Errorf("paddings: %w", err)
	}
	pads := toInts(pt)
	for _, p := range pads {
		if p < 0 {
			return nil, fmt.Errorf("negative paddings %v not supported", pads)
		}
	}
	var value float32
	if n == 3 {
		v, err := b.constIn(2)
		if err != nil {
			return nil, fmt.Errorf("constant_values: %w", err)
		}
		if len(v.Data) != 1 {
			return nil, fmt.Errorf("constant_values: want a scalar")
		}
		value = v.Data[0]
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x := in[0]
		r := len(x.Shape)
		if len(pads) != 2*r {
			return nil, fmt.Errorf("paddings %v do not match rank %d of %v", pads, r, x.Shape)
		}
		shape := make([]int, r)
		for i, d := range x.Shape {
			shape[i] = d + pads[2*i] + pads[2*i+1]
		}
		out := rs.tensor(shape...)
		if value == 0 {
			clear(out.Data)
		} else {
			for i := range out.Data {
				out.Data[i] = value
			}
		}
		if len(x.Data) == 0 {
			return out, nil
		}
		// Copy contiguous runs of the innermost dimension.
		ostr := make([]int, r)
		s := 1
		for i := r - 1; i >= 0; i-- {
			ostr[i] = s
			s *= shape[i]
		}
		inner := x.Shape[r-1]
		idx := make([]int, r)
		for src := 0; src < len(x.Data); src += inner {
			dst := pads[2*(r-1)]
			for d := 0; d < r-1; d++ {
				dst += (idx[d] + pads[2*d]) * ostr[d]
			}
			copy(out.Data[dst:dst+inner], x.Data[src:src+inner])
			for d := r - 2; d >= 0; d-- {
				idx[d]++
				if idx[d] < x.Shape[d] {
					break
				}
				idx[d] = 0
			}
		}
		return out, nil
	}, nil
}

// ---- reductions ----

func buildReduce(b *buildCtx) (kernel, error) {
	if err := b.want(2); err != nil {
		return nil, err
	}
	at, err := b.constIn(1)
	if err != nil {
		return nil, fmt.Errorf("axes: %w", err)
	}
	axes := toInts(at)
	keep, err := b.attrs.bool("keep_dims")
	if err != nil {
		return nil, err
	}
	op := b.node.Op
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x := in[0]
		r := len(x.Shape)
		red := make([]bool, r)
		for _, a := range axes {
			if a < 0 {
				a += r
			}
			if a < 0 || a >= r {
				return nil, fmt.Errorf("axes %v out of range for shape %v", axes, x.Shape)
			}
			red[a] = true
		}
		var shape, kept []int
		for i, d := range x.Shape {
			switch {
			case !red[i]:
				shape = append(shape, d)
				kept = append(kept, d)
			case keep:
				shape = append(shape, 1)
				kept = append(kept, 1)
			default:
				kept = append(kept, 1)
			}
		}
		out := rs.tensor(shape...)
		o := out.Data
		switch op {
		case "Max":
			for i := range o {
				o[i] = float32(math.Inf(-1))
			}
		case "Min":
			for i := range o {
				o[i] = float32(math.Inf(1))
			}
		default:
			clear(o)
		}
		st := broadcastStrides(kept, r)
		idx := make([]int, r)
		oi := 0
		for _, v := range x.Data {
			switch op {
			case "Max":
				o[oi] = max(o[oi], v)
			case "Min":
				o[oi] = min(o[oi], v)
			default:
				o[oi] += v
			}
			for d := r - 1; d >= 0; d-- {
				idx[d]++
				oi += st[d]
				if idx[d] < x.Shape[d] {
					break
				}
				oi -= st[d] * x.Shape[d]
				idx[d] = 0
			}
		}
		if op == "Mean" && len(o) > 0 {
			inv := float32(len(o)) / float32(len(x.Data))
			for i := range o {
				o[i] *= inv
			}
		}
		return out, nil
	}, nil
}

func buildSoftmax(b *buildCtx) (kernel, error) {
	if err := b.want(1); err != nil {
		return nil, err
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x := in[0]
		if len(x.Shape) == 0 {
			return nil, fmt.Errorf("softmax of a scalar")
		}
		n := x.Shape[len(x.Shape)-1]
		out := copyTensor(rs, x, slices.Clone(x.Shape))
		for off := 0; off+n <= len(out.Data); off += n {
			row := out.Data[off : off+n]
			m := float32(math.Inf(-1))
			for _, v := range row {
				m = max(m, v)
			}
			var sum float64
			for i, v := range row {
				e := math.Exp(float64(v - m))
				row[i] = float32(e)
				sum += e
			}
			inv := float32(1 / sum)
			for i := range row {
				row[i] *= inv
			}
		}
		return out, nil
	}, nil
}

func buildConcat(b *buildCtx) (kernel, error) {
	if len(b.ins) < 2 {
		return nil, fmt.Errorf("want at least 2 inputs, got %d", len(b.ins))
	}
	at, err := b.constIn(len(b.ins) - 1)
	if err != nil {
		return nil, fmt.Errorf("axis: %w", err)
	}
	if len(at.Data) != 1 {
		return nil, fmt.Errorf("axis: want a scalar")
	}
	axis := int(at.Data[0])
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		xs := in[:len(in)-1]
		r := len(xs[0].Shape)
		a := axis
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			return nil, fmt.Errorf("axis %d out of range for shape %v", axis, xs[0].Shape)
		}
		shape := slices.Clone(xs[0].Shape)
		shape[a] = 0
		for _, x := range xs {
			if len(x.Shape) != r {
				return nil, fmt.Errorf("cannot concat shapes %v and %v", xs[0].Shape, x.Shape)
			}
			for i, d := range x.Shape {
				if i != a && d != xs[0].Shape[i] {
					return nil, fmt.Errorf("cannot concat shapes %v and %v on axis %d", xs[0].Shape, x.Shape, axis)
				}
			}
			shape[a] += x.Shape[a]
		}
		outer := numel(shape[:a])
		inner := numel(shape[a+1:])
		out := rs.tensor(shape...)
		off := 0
		for o := 0; o < outer; o++ {
			for _, x := range xs {
				n := x.Shape[a] * inner
				copy(out.Data[off:off+n], x.Data[o*n:(o+1)*n])
				off += n
			}
		}
		return out, nil
	}, nil
}

// ---- matmul ----

type matmul struct {
	ta, tb bool
	ep     epilogue
	fused  bool
}

func buildMatMul(b *buildCtx) (kernel, error) {
	if len(b.ins) < 2 {
		return nil, fmt.Errorf("want at least 2 inputs, got %d", len(b.ins))
	}
	mm := &matmul{fused: b.node.Op == "_FusedMatMul"}
	var err error
	if mm.ta, err = b.attrs.bool("transpose_a"); err != nil {
		return nil, err
	}
	if mm.tb, err = b.attrs.bool("transpose_b"); err != nil {
		return nil, err
	}
	if mm.fused {
		// The channel count is only known from b's shape.
		w := b.m.consts[b.ins[1]]
		if w == nil || len(w.Shape) != 2 {
			return nil, fmt.Errorf("_FusedMatMul needs a constant 2-D b")
		}
		n := w.Shape[1]
		if mm.tb {
			n = w.Shape[0]
		}
		if mm.ep, err = parseFused(b, 2, n); err != nil {
			return nil, err
		}
	} else if len(b.ins) != 2 {
		return nil, fmt.Errorf("want 2 inputs, got %d", len(b.ins))
	}
	return mm.run, nil
}

func (mm *matmul) run(rs *runState, in []*Tensor) (*Tensor, error) {
	a, b := in[0], in[1]
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("shapes %v and %v: want 2-D", a.Shape, b.Shape)
	}
	m, k := a.Shape[0], a.Shape[1]
	if mm.ta {
		m, k = k, m
	}
	k2, n := b.Shape[0], b.Shape[1]
	if mm.tb {
		k2, n = n, k2
	}
	if k != k2 {
		return nil, fmt.Errorf("shapes %v and %v (transpose %v,%v) do not multiply", a.Shape, b.Shape, mm.ta, mm.tb)
	}
	out := rs.tensor(m, n)
	if !mm.ta && !mm.tb {
		gemm(m, n, k, a.Data, k, b.Data, n, out.Data, n)
		mm.ep.apply(out.Data, n)
		return out, nil
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if mm.ta {
		ta = blas.Trans
	}
	if mm.tb {
		tb = blas.Trans
	}
	// Transposed operands are rare (not in the face models); gonum may
	// parallelise large ones.
	sgemm(ta, tb, m, n, k, 1, a.Data, a.Shape[1], b.Data, b.Shape[1], 0, out.Data, n)
	mm.ep.apply(out.Data, n)
	return out, nil
}
