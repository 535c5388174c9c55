// Package nn runs TensorFlow.js graph models (model.json plus .bin weight
// shards) in pure Go, so face detection and embeddings give the same answers
// in the CLI, the desktop app and the server without cgo.
//
// It supports the float32 ops the face models use (see SupportedOps), NHWC
// layout and batch size 1. A Model is immutable after Load and safe for
// concurrent Run calls; Run itself is single-threaded, so callers parallelise
// across images.
package nn

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Tensor is a dense float32 tensor in row-major order (NHWC for images).
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor returns a zeroed tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, numel(shape))}
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (t *Tensor) String() string { return fmt.Sprintf("tensor%v", t.Shape) }

// kernel computes one node's output from its inputs. It must not modify its
// inputs nor return one of them: Run recycles inputs after their last use.
type kernel func(rc *runState, in []*Tensor) (*Tensor, error)

type step struct {
	name string
	op   string
	in   []int // value slots
	out  int
	run  kernel
}

type placeholder struct {
	name  string
	slot  int
	shape []int // -1 for unknown dims; nil if unknown rank
}

// Model is a loaded graph. It is immutable after Load and safe for
// concurrent use.
type Model struct {
	slots    int
	slotOf   map[string]int
	consts   []*Tensor // by slot; nil for computed values
	producer []int     // step index by slot; -1 for consts and placeholders
	steps    []step    // topological order
	inputs   []placeholder
	outputs  []string
	scratch  sync.Pool // *runState: buffers of earlier Runs, reused to spare the GC
	// GeneratedBy is the model.json generatedBy field (the upstream source).
	GeneratedBy string
}

// Inputs returns the names of the graph's placeholders.
func (m *Model) Inputs() []string {
	names := make([]string, len(m.inputs))
	for i, p := range m.inputs {
		names[i] = p.name
	}
	return names
}

// InputShape returns the declared shape of the named input (-1 for a free
// dimension), or nil if the input is unknown or has no declared shape.
func (m *Model) InputShape(name string) []int {
	for _, p := range m.inputs {
		if p.name == name {
			return append([]int(nil), p.shape...)
		}
	}
	return nil
}

// Outputs returns the default output node names, sorted: the model's
// signature outputs when it declares them, else the nodes nothing consumes.
func (m *Model) Outputs() []string { return append([]string(nil), m.outputs...) }

// Run computes the named outputs (node names; a ":0" suffix is accepted;
// none means Outputs()) from the inputs keyed by placeholder name. Only the
// nodes the outputs depend on run. The returned tensors belong to the caller.
func (m *Model) Run(ctx context.Context, in map[string]*Tensor, outputs ...string) (map[string]*Tensor, error) {
	if len(outputs) == 0 {
		outputs = m.outputs
	}
	outSlots := make([]int, len(outputs))
	for i, name := range outputs {
		s, ok := m.slotOf[nodeName(name)]
		if !ok {
			return nil, fmt.Errorf("nn: unknown output %q", name)
		}
		outSlots[i] = s
	}
	// Mark the values the outputs need.
	needed := make([]bool, m.slots)
	stack := append([]int(nil), outSlots...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if needed[s] {
			continue
		}
		needed[s] = true
		if p := m.producer[s]; p >= 0 {
			stack = append(stack, m.steps[p].in...)
		}
	}
	values := make([]*Tensor, m.slots)
	pinned := make([]bool, m.slots) // never recycled: caller's inputs, consts, outputs
	for s, c := range m.consts {
		if c != nil {
			values[s] = c
			pinned[s] = true
		}
	}
	for _, p := range m.inputs {
		if !needed[p.slot] {
			continue
		}
		t, ok := in[p.name]
		if !ok || t == nil {
			return nil, fmt.Errorf("nn: missing input %q", p.name)
		}
		if err := checkInput(p, t); err != nil {
			return nil, err
		}
		values[p.slot] = t
		pinned[p.slot] = true
	}
	for name := range in {
		s, ok := m.slotOf[name]
		if !ok || m.producer[s] >= 0 || m.consts[s] != nil {
			return nil, fmt.Errorf("nn: %q is not an input of this model (inputs: %s)", name, strings.Join(m.Inputs(), ", "))
		}
	}
	for _, s := range outSlots {
		pinned[s] = true
	}
	uses := make([]int, m.slots)
	for i := range m.steps {
		st := &m.steps[i]
		if needed[st.out] {
			for _, s := range st.in {
				uses[s]++
			}
		}
	}
	rs, _ := m.scratch.Get().(*runState)
	if rs == nil {
		rs = &runState{}
	}
	args := make([]*Tensor, 0, 8)
	for i := range m.steps {
		st := &m.steps[i]
		if !needed[st.out] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		args = args[:0]
		for _, s := range st.in {
			args = append(args, values[s])
		}
		out, err := runStep(st, rs, args)
		if err != nil {
			return nil, fmt.Errorf("nn: node %q (%s): %w", st.name, st.op, err)
		}
		values[st.out] = out
		for _, s := range st.in {
			uses[s]--
			if uses[s] == 0 && !pinned[s] && values[s] != nil {
				rs.free(values[s].Data)
				values[s] = nil
			}
		}
	}
	res := make(map[string]*Tensor, len(outputs))
	for i, name := range outputs {
		t := values[outSlots[i]]
		if m.consts[outSlots[i]] != nil || m.producer[outSlots[i]] < 0 {
			t = &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
		}
		res[name] = t
	}
	// Every buffer not returned is back in rs by now.
	m.scratch.Put(rs)
	return res, nil
}

// runStep runs one kernel, turning a panic (a graph whose shapes Load could
// not check, such as a Reshape of one model's tensor to another's) into an
// error, so a bad model cannot take a server down.
func runStep(st *step, rs *runState, args []*Tensor) (out *Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			if tl, ok := r.(tooLarge); ok {
				out, err = nil, tl
				return
			}
			out, err = nil, fmt.Errorf("internal error on inputs %v: %v", shapesOf(args), r)
		}
	}()
	return st.run(rs, args)
}

func shapesOf(ts []*Tensor) [][]int {
	s := make([][]int, len(ts))
	for i, t := range ts {
		s[i] = t.Shape
	}
	return s
}

func checkInput(p placeholder, t *Tensor) error {
	if len(t.Data) != numel(t.Shape) {
		return fmt.Errorf("nn: input %q: shape %v needs %d values, got %d", p.name, t.Shape, numel(t.Shape), len(t.Data))
	}
	if p.shape == nil {
		return nil
	}
	if len(t.Shape) != len(p.shape) {
		return fmt.Errorf("nn: input %q: got shape %v, want rank %d %v", p.name, t.Shape, len(p.shape), p.shape)
	}
	for i, d := range p.shape {
		if d >= 0 && t.Shape[i] != d {
			return fmt.Errorf("nn: input %q: got shape %v, want %v", p.name, t.Shape, p.shape)
		}
	}
	if len(t.Shape) == 4 && t.Shape[0] != 1 {
		return fmt.Errorf("nn: input %q: batch size %d not supported (only 1)", p.name, t.Shape[0])
	}
	return nil
}

// nodeName strips a tensor reference ("^ctrl", "name:0") to its node name.
func nodeName(ref string) string {
	ref = strings.TrimPrefix(ref, "^")
	if i := strings.LastIndexByte(ref, ':'); i >= 0 {
		return ref[:i]
	}
	return ref
}

// runState holds one Run's scratch buffers, recycled by exact length.
type runState struct {
	pool map[int][][]float32
}

// alloc returns a buffer of length n with arbitrary contents.
func (rs *runState) alloc(n int) []float32 {
	if l := rs.pool[n]; len(l) > 0 {
		b := l[len(l)-1]
		rs.pool[n] = l[:len(l)-1]
		return b
	}
	return make([]float32, n)
}

// zeros returns a zeroed buffer of length n.
func (rs *runState) zeros(n int) []float32 {
	b := rs.alloc(n)
	clear(b)
	return b
}

func (rs *runState) free(b []float32) {
	if cap(b) == 0 {
		return
	}
	if rs.pool == nil {
		rs.pool = make(map[int][][]float32)
	}
	rs.pool[len(b)] = append(rs.pool[len(b)], b)
}

// maxElements bounds any tensor Run creates (256 MB of float32): the face
// models stay under 2M, and a malformed graph (a Pad by 2^31, say) must
// fail instead of exhausting memory.
const maxElements = 1 << 26

// tooLarge is the panic tensor raises; runStep turns it into an error.
type tooLarge struct{ shape []int }

func (e tooLarge) Error() string {
	return fmt.Sprintf("tensor of shape %v exceeds the limit of %d elements", e.shape, maxElements)
}

func (rs *runState) tensor(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		if d < 0 || (d > 0 && n > maxElements/d) {
			panic(tooLarge{shape})
		}
		n *= d
	}
	return &Tensor{Shape: shape, Data: rs.alloc(n)}
}

// SupportedOps lists the graph ops Load accepts, sorted.
func SupportedOps() []string {
	ops := make([]string, 0, len(builders))
	for op := range builders {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}
