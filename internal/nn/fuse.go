package nn

import (
	"math"
	"slices"
)

// Element-wise chains that the face models repeat on large tensors are
// fused at Load into one pass: Relu/Relu6/Prelu of an Add (residual blocks
// of BlazeFace, FaceMesh, Iris) and the Relu(x) + (x-|x|)*c form of PReLU
// that MobileFaceNet's converter emitted. The fused kernel reads the
// inputs of the chain; the chain's own nodes stay in the graph and only
// run if someone asks for them. Results are bit-identical to the unfused
// ops: the same float32 operations in the same order.

// graphInfo lets builders look at a node's producers, for fusion.
type graphInfo struct {
	nodes []nodeDef
	ins   [][]int
	uses  []int // consumers per node
}

// only returns the producer of input i if it is one of ops and this node is
// its only consumer.
func (b *buildCtx) only(i int, ops ...string) (nodeDef, []int, bool) {
	if b.g == nil || i >= len(b.ins) {
		return nodeDef{}, nil, false
	}
	s := b.ins[i]
	n := b.g.nodes[s]
	if b.g.uses[s] != 1 || !slices.Contains(ops, n.Op) {
		return nodeDef{}, nil, false
	}
	return n, b.g.ins[s], true
}

// relu32 is max(v, 0) without a branch (ReLU inputs are half negative, so
// branches mispredict).
func relu32(v float32) float32 {
	u := math.Float32bits(v)
	return math.Float32frombits(u &^ uint32(int32(u)>>31))
}

// fuseAddAct returns a kernel for act(Add(a, b)) reading a and b, or nil.
func fuseAddAct(b *buildCtx, act activation) kernel {
	_, addIns, ok := b.only(0, "Add", "AddV2")
	if !ok || len(addIns) != 2 {
		return nil
	}
	alphaSlot := -1
	if act == actPrelu {
		alphaSlot = b.ins[1]
	}
	b.ins = append([]int(nil), addIns...)
	if alphaSlot >= 0 {
		b.ins = append(b.ins, alphaSlot)
	}
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		x, y := in[0], in[1]
		var alpha *Tensor
		if act == actPrelu {
			alpha = in[2]
		}
		if !slices.Equal(x.Shape, y.Shape) || (alpha != nil && !perLast(alpha, x)) {
			sum, err := broadcastOp(rs, opAdd, x, y)
			if err != nil {
				return nil, err
			}
			switch act {
			case actPrelu:
				out, err := broadcastOp(rs, opPrelu, sum, alpha)
				rs.free(sum.Data)
				return out, err
			case actRelu6:
				for i, v := range sum.Data {
					sum.Data[i] = min(max(v, 0), 6)
				}
			default:
				for i, v := range sum.Data {
					sum.Data[i] = relu32(v)
				}
			}
			return sum, nil
		}
		out := rs.tensor(slices.Clone(x.Shape)...)
		o := out.Data[:len(x.Data)]
		yd := y.Data[:len(x.Data)]
		switch act {
		case actRelu:
			if useDW && len(o) > 0 {
				addRelu(&o[0], &x.Data[0], &yd[0], len(o))
				break
			}
			for i, v := range x.Data {
				o[i] = relu32(v + yd[i])
			}
		case actRelu6:
			for i, v := range x.Data {
				o[i] = min(max(v+yd[i], 0), 6)
			}
		case actPrelu:
			n := len(alpha.Data)
			for off := 0; off < len(o); off += n {
				preluRow(o[off:off+n], x.Data[off:off+n], yd[off:off+n], alpha.Data)
			}
		}
		return out, nil
	}
}

// preluRow sets o = prelu(x + y, a) for one row of channels.
func preluRow(o, x, y, a []float32) {
	o = o[:len(a)]
	x = x[:len(a)]
	y = y[:len(a)]
	for i, s := range a {
		v := x[i] + y[i]
		r := relu32(v)
		o[i] = r + s*(v-r)
	}
}

// perLast reports whether a per-channel tensor t repeats along x's last
// dimensions (a scalar, or x's trailing shape).
func perLast(t, x *Tensor) bool {
	return len(t.Data) > 0 && len(x.Data)%len(t.Data) == 0 && isSuffix(t.Shape, x.Shape)
}

// fusePreluForm returns a kernel for Add(P, Mul(Sub(X, Abs(X)), c)) with P
// = Relu(X) or P = X, reading X and c, or nil if the Add is not that form.
func fusePreluForm(b *buildCtx) kernel {
	if b.g == nil || len(b.ins) != 2 {
		return nil
	}
	for pi := 0; pi < 2; pi++ {
		_, mulIns, ok := b.only(1-pi, "Mul")
		if !ok || len(mulIns) != 2 {
			continue
		}
		for si := 0; si < 2; si++ {
			cSlot := mulIns[1-si]
			if b.m.consts[cSlot] == nil {
				continue
			}
			sub := &buildCtx{g: b.g, m: b.m, ins: mulIns}
			_, subIns, ok := sub.only(si, "Sub")
			if !ok || len(subIns) != 2 {
				continue
			}
			x := subIns[0]
			abs := &buildCtx{g: b.g, m: b.m, ins: subIns}
			_, absIns, ok := abs.only(1, "Abs")
			if !ok || len(absIns) != 1 || absIns[0] != x {
				continue
			}
			p := b.ins[pi]
			relu := false
			switch {
			case p == x:
			case b.g.nodes[p].Op == "Relu" && b.g.uses[p] == 1 && len(b.g.ins[p]) == 1 && b.g.ins[p][0] == x:
				relu = true
			default:
				continue
			}
			pFirst := pi == 0
			b.ins = []int{x, cSlot}
			return func(rs *runState, in []*Tensor) (*Tensor, error) {
				return preluForm(rs, in[0], in[1], relu, pFirst)
			}
		}
	}
	return nil
}

// preluForm computes P + (x - |x|)*c (or (x-|x|)*c + P), P = relu ? Relu(x) : x.
func preluForm(rs *runState, x, c *Tensor, relu, pFirst bool) (*Tensor, error) {
	if !perLast(c, x) {
		// Rare shapes: run the chain op by op.
		abs := rs.tensor(slices.Clone(x.Shape)...)
		for i, v := range x.Data {
			abs.Data[i] = float32(math.Abs(float64(v)))
		}
		d, err := broadcastOp(rs, opSub, x, abs)
		rs.free(abs.Data)
		if err != nil {
			return nil, err
		}
		m, err := broadcastOp(rs, opMul, d, c)
		rs.free(d.Data)
		if err != nil {
			return nil, err
		}
		p := x
		if relu {
			p = rs.tensor(slices.Clone(x.Shape)...)
			for i, v := range x.Data {
				p.Data[i] = relu32(v)
			}
			defer rs.free(p.Data)
		}
		a, bb := p, m
		if !pFirst {
			a, bb = m, p
		}
		out, err := broadcastOp(rs, opAdd, a, bb)
		rs.free(m.Data)
		return out, err
	}
	out := rs.tensor(slices.Clone(x.Shape)...)
	n := len(c.Data)
	if useAsm && n%8 == 0 && len(out.Data) > 0 {
		// Addition commutes exactly, so pFirst does not matter here.
		preluRows(&out.Data[0], &x.Data[0], &c.Data[0], len(out.Data)/n, n, relu)
		return out, nil
	}
	for off := 0; off < len(out.Data); off += n {
		o := out.Data[off : off+n]
		xs := x.Data[off : off+n]
		cs := c.Data[:n]
		for i, v := range xs {
			// x - |x| is 0 or 2x, exact; one rounding in the Mul, one in
			// the Add, as in the unfused chain.
			u := math.Float32bits(v)
			d := (v - math.Float32frombits(u&0x7fffffff)) * cs[i]
			p := v
			if relu {
				p = math.Float32frombits(u &^ uint32(int32(u)>>31))
			}
			if pFirst {
				o[i] = p + d
			} else {
				o[i] = d + p
			}
		}
	}
	return out, nil
}

// clipChain is [Mul(x, s)] -> [Add(., c)] -> [Relu] -> Minimum(., hi) ->
// Maximum(., lo) (or Maximum then Minimum): batch-norm and ReLU6 as Keras
// MobileNets export them (faceres, mobileface), fused into one pass.
type clipChain struct {
	mul, add, relu bool
	maxFirst       bool // Maximum(., lo) before Minimum(., hi)
	lo, hi         float32
}

// scalarConst returns the value of input i if it is a one-element Const.
func (b *buildCtx) scalarConst(i int) (float32, bool) {
	t := b.m.consts[b.ins[i]]
	if t == nil || len(t.Data) != 1 {
		return 0, false
	}
	return t.Data[0], true
}

// constArg returns which input of a two-input node is a Const, or -1.
func (b *buildCtx) constArg() int {
	for i := 1; i >= 0; i-- {
		if b.m.consts[b.ins[i]] != nil {
			return i
		}
	}
	return -1
}

// fuseClip returns a kernel for a clipChain ending at this Maximum or
// Minimum node, or nil.
func fuseClip(b *buildCtx) kernel {
	if b.g == nil || len(b.ins) != 2 {
		return nil
	}
	outer, ok := b.scalarConst(1)
	if !ok {
		return nil
	}
	innerOp := "Minimum"
	if b.node.Op == "Minimum" {
		innerOp = "Maximum"
	}
	in, innerIns, ok := b.only(0, innerOp)
	if !ok || len(innerIns) != 2 {
		return nil
	}
	ib := &buildCtx{g: b.g, m: b.m, ins: innerIns, node: in}
	inner, ok := ib.scalarConst(1)
	if !ok {
		return nil
	}
	ch := clipChain{maxFirst: innerOp == "Maximum"}
	if ch.maxFirst {
		ch.lo, ch.hi = inner, outer
	} else {
		ch.lo, ch.hi = outer, inner
	}
	// Walk up through the optional Relu, Add and Mul.
	cur := ib
	ins := []int{innerIns[0]}
	if _, rIns, ok := cur.only(0, "Relu"); ok && len(rIns) == 1 {
		ch.relu = true
		cur = &buildCtx{g: b.g, m: b.m, ins: rIns}
		ins = []int{rIns[0]}
	}
	var extra []int
	if _, aIns, ok := cur.only(0, "Add", "AddV2", "BiasAdd"); ok && len(aIns) == 2 {
		ab := &buildCtx{g: b.g, m: b.m, ins: aIns}
		if c := ab.constArg(); c >= 0 {
			ch.add = true
			extra = append([]int{aIns[c]}, extra...)
			cur = &buildCtx{g: b.g, m: b.m, ins: []int{aIns[1-c]}}
			ins = []int{aIns[1-c]}
			if _, mIns, ok := cur.only(0, "Mul"); ok && len(mIns) == 2 {
				mb := &buildCtx{g: b.g, m: b.m, ins: mIns}
				if c := mb.constArg(); c >= 0 {
					ch.mul = true
					extra = append([]int{mIns[c]}, extra...)
					ins = []int{mIns[1-c]}
				}
			}
		}
	}
	if k := fuseClipConv(b, ch, ins[0], extra); k != nil {
		return k
	}
	b.ins = append(ins, extra...)
	return func(rs *runState, in []*Tensor) (*Tensor, error) {
		return ch.run(rs, in)
	}
}

// fuseClipConv folds a clipChain into the plain Conv2D or depthwise conv
// that feeds it, when that conv has no other consumer: the Mul scales the
// filter, the Add becomes the bias and the Relu/Minimum/Maximum a clamp
// done in the kernel, so the chain costs no pass at all. (Scaling the
// filter rounds differently from scaling the sum, by ~1e-7 relative.)
func fuseClipConv(b *buildCtx, ch clipChain, x int, extra []int) kernel {
	n := b.g.nodes[x]
	if b.g.uses[x] != 1 || (n.Op != "Conv2D" && n.Op != "DepthwiseConv2dNative") {
		return nil
	}
	// The chain as one clamp(v, lo, hi).
	lo, hi := ch.lo, ch.hi
	if ch.relu {
		lo = max(lo, 0)
	}
	if !ch.maxFirst && ch.lo > ch.hi {
		return nil // max(min(v, hi), lo) is then the constant lo
	}
	cb := &buildCtx{node: n, attrs: attrs(n.Attr), ins: b.g.ins[x], m: b.m, g: b.g}
	var conv *conv2d
	var dw *depthwise
	var err error
	var w []float32
	var co int
	if n.Op == "Conv2D" {
		if conv, err = parseConv2D(cb); err != nil {
			return nil
		}
		w, co = conv.w, conv.co
	} else {
		if dw, err = parseDepthwise(cb); err != nil {
			return nil
		}
		w, co = dw.w, dw.ci*dw.mult
	}
	channel := func(slot int) []float32 {
		t := b.m.consts[slot]
		if t == nil || !(len(t.Data) == 1 || len(t.Data) == co && isSuffix(t.Shape, []int{co})) {
			return nil
		}
		return rowOf(t, co, 0)
	}
	ep := epilogue{act: actClamp, lo: lo, hi: hi}
	k := 0
	if ch.mul {
		sc := channel(extra[k])
		if sc == nil {
			return nil
		}
		k++
		scaled := make([]float32, len(w))
		for i, v := range w {
			scaled[i] = v * sc[i%co]
		}
		w = scaled
	}
	if ch.add {
		if ep.bias = channel(extra[k]); ep.bias == nil {
			return nil
		}
	}
	b.ins = cb.ins
	if conv != nil {
		conv.w, conv.ep = w, ep
		conv.prepare()
		return conv.run
	}
	dw.w, dw.ep = w, ep
	return dw.run
}

func (ch clipChain) run(rs *runState, in []*Tensor) (*Tensor, error) {
	x := in[0]
	var s, c *Tensor
	k := 1
	if ch.mul {
		s, k = in[k], k+1
	}
	if ch.add {
		c = in[k]
	}
	n := 1
	if s != nil {
		n = len(s.Data)
	}
	if c != nil {
		n = max(n, len(c.Data))
	}
	fits := func(t *Tensor) bool {
		return t == nil || (perLast(t, x) && (len(t.Data) == 1 || len(t.Data) == n))
	}
	if !fits(s) || !fits(c) {
		return ch.slow(rs, x, s, c)
	}
	out := rs.tensor(slices.Clone(x.Shape)...)
	// Per-channel factors expanded to one row of n.
	sv, cv := rowOf(s, n, 1), rowOf(c, n, 0)
	lo, hi := ch.lo, ch.hi
	for off := 0; off+n <= len(out.Data); off += n {
		o := out.Data[off : off+n]
		xs := x.Data[off : off+n]
		for i, v := range xs {
			if ch.mul {
				v = float32(v * sv[i])
			}
			if ch.add {
				v += cv[i]
			}
			if ch.relu {
				v = relu32(v)
			}
			if ch.maxFirst {
				v = min(max(v, lo), hi)
			} else {
				v = max(min(v, hi), lo)
			}
			o[i] = v
		}
	}
	return out, nil
}

// rowOf expands a per-channel tensor (1 or n values) to a row of n; nil
// gives a row of def.
func rowOf(t *Tensor, n int, def float32) []float32 {
	if t != nil && len(t.Data) == n {
		return t.Data
	}
	v := def
	if t != nil {
		v = t.Data[0]
	}
	row := make([]float32, n)
	for i := range row {
		row[i] = v
	}
	return row
}

// slow runs the chain op by op, for shapes the fused loop does not cover.
func (ch clipChain) slow(rs *runState, x, s, c *Tensor) (*Tensor, error) {
	cur, owned := x, false
	step := func(op binop, t *Tensor) error {
		next, err := broadcastOp(rs, op, cur, t)
		if err != nil {
			return err
		}
		if owned {
			rs.free(cur.Data)
		}
		cur, owned = next, true
		return nil
	}
	if ch.mul {
		if err := step(opMul, s); err != nil {
			return nil, err
		}
	}
	if ch.add {
		if err := step(opAdd, c); err != nil {
			return nil, err
		}
	}
	lo, hi := &Tensor{Shape: []int{}, Data: []float32{ch.lo}}, &Tensor{Shape: []int{}, Data: []float32{ch.hi}}
	if ch.relu {
		if err := step(opMax, &Tensor{Shape: []int{}, Data: []float32{0}}); err != nil {
			return nil, err
		}
	}
	ops := []struct {
		op binop
		t  *Tensor
	}{{opMin, hi}, {opMax, lo}}
	if ch.maxFirst {
		ops[0], ops[1] = ops[1], ops[0]
	}
	for _, o := range ops {
		if err := step(o.op, o.t); err != nil {
			return nil, err
		}
	}
	return cur, nil
}
