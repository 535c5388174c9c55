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
			if useAsm && len(o) > 0 {
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
