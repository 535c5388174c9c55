package nn

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// modelFile is the subset of a TF.js graph model.json that Load reads.
type modelFile struct {
	Format        string `json:"format"`
	GeneratedBy   string `json:"generatedBy"`
	ModelTopology struct {
		Node []nodeDef `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string     `json:"paths"`
		Weights []weightSpec `json:"weights"`
	} `json:"weightsManifest"`
	Signature           *signature `json:"signature"`
	UserDefinedMetadata struct {
		Signature *signature `json:"signature"`
	} `json:"userDefinedMetadata"`
}

type signature struct {
	Outputs map[string]struct {
		Name string `json:"name"`
	} `json:"outputs"`
}

type nodeDef struct {
	Name  string                     `json:"name"`
	Op    string                     `json:"op"`
	Input []string                   `json:"input"`
	Attr  map[string]json.RawMessage `json:"attr"`
}

type weightSpec struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	Dtype        string `json:"dtype"`
	Quantization *struct {
		Dtype string   `json:"dtype"`
		Scale *float64 `json:"scale"`
		Min   *float64 `json:"min"`
	} `json:"quantization"`
}

// Load parses a TF.js graph model: modelJSON is model.json, shards are its
// weight files in manifest order. It fails, naming them all, if the graph
// uses ops or attributes this package cannot run, and if the weights do not
// match the manifest.
func Load(modelJSON []byte, shards ...[]byte) (*Model, error) {
	var mf modelFile
	dec := json.NewDecoder(bytes.NewReader(modelJSON))
	if err := dec.Decode(&mf); err != nil {
		return nil, fmt.Errorf("nn: model.json: %w", err)
	}
	nodes := mf.ModelTopology.Node
	if len(nodes) == 0 {
		return nil, errors.New("nn: model.json: no modelTopology.node list (not a TF.js graph model?)")
	}
	weights, err := decodeWeights(&mf, shards)
	if err != nil {
		return nil, err
	}

	m := &Model{slotOf: make(map[string]int, len(nodes)), GeneratedBy: mf.GeneratedBy}
	for i, n := range nodes {
		if n.Name == "" {
			return nil, fmt.Errorf("nn: model.json: node %d has no name", i)
		}
		if _, dup := m.slotOf[n.Name]; dup {
			return nil, fmt.Errorf("nn: model.json: duplicate node %q", n.Name)
		}
		m.slotOf[n.Name] = i
	}
	m.slots = len(nodes)
	m.consts = make([]*Tensor, len(nodes))
	m.producer = make([]int, len(nodes))
	for i := range m.producer {
		m.producer[i] = -1
	}

	// Resolve inputs (dropping control dependencies) and check references.
	ins := make([][]int, len(nodes))
	var problems []string
	for i, n := range nodes {
		for _, ref := range n.Input {
			if strings.HasPrefix(ref, "^") {
				continue
			}
			name := ref
			if j := strings.LastIndexByte(ref, ':'); j >= 0 {
				name = ref[:j]
				if ref[j+1:] != "0" {
					problems = append(problems, fmt.Sprintf("node %q reads output %s of %q (only single-output ops are supported)", n.Name, ref[j+1:], name))
				}
			}
			s, ok := m.slotOf[name]
			if !ok {
				problems = append(problems, fmt.Sprintf("node %q reads unknown node %q", n.Name, name))
				continue
			}
			ins[i] = append(ins[i], s)
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("nn: model.json: %s", strings.Join(problems, "; "))
	}

	// Constants and placeholders first: kernels may look at const inputs.
	for i, n := range nodes {
		switch n.Op {
		case "Const":
			w, ok := weights[n.Name]
			if !ok {
				return nil, fmt.Errorf("nn: const %q has no entry in weightsManifest", n.Name)
			}
			m.consts[i] = w
		case "Placeholder":
			p := placeholder{name: n.Name, slot: i}
			a := attrs(n.Attr)
			if sh, ok, err := a.shape("shape"); err != nil {
				return nil, fmt.Errorf("nn: placeholder %q: %w", n.Name, err)
			} else if ok {
				p.shape = sh
			}
			m.inputs = append(m.inputs, p)
		}
	}

	order, err := topoSort(nodes, ins)
	if err != nil {
		return nil, err
	}
	g := &graphInfo{nodes: nodes, ins: ins, uses: make([]int, len(nodes))}
	for _, in := range ins {
		for _, s := range in {
			g.uses[s]++
		}
	}
	var unsupported []string
	for _, i := range order {
		n := nodes[i]
		if n.Op == "Const" || n.Op == "Placeholder" {
			continue
		}
		build, ok := builders[n.Op]
		if !ok {
			unsupported = append(unsupported, fmt.Sprintf("%s (node %q)", n.Op, n.Name))
			continue
		}
		b := &buildCtx{node: n, attrs: attrs(n.Attr), ins: ins[i], m: m, g: g}
		run, err := build(b)
		if err != nil {
			problems = append(problems, fmt.Sprintf("node %q (%s): %v", n.Name, n.Op, err))
			continue
		}
		m.producer[i] = len(m.steps)
		m.steps = append(m.steps, step{name: n.Name, op: n.Op, in: b.ins, out: i, run: run})
	}
	if len(unsupported) > 0 {
		return nil, fmt.Errorf("nn: unsupported ops: %s", strings.Join(unsupported, ", "))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("nn: %s", strings.Join(problems, "; "))
	}
	m.outputs = defaultOutputs(&mf, m, ins)
	return m, nil
}

func defaultOutputs(mf *modelFile, m *Model, ins [][]int) []string {
	sig := mf.Signature
	if sig == nil || len(sig.Outputs) == 0 {
		sig = mf.UserDefinedMetadata.Signature
	}
	if sig != nil && len(sig.Outputs) > 0 {
		var names []string
		seen := map[string]bool{}
		ok := true
		for _, o := range sig.Outputs {
			n := nodeName(o.Name)
			if _, exists := m.slotOf[n]; !exists {
				ok = false
				break
			}
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if ok {
			sort.Strings(names)
			return names
		}
	}
	used := make([]bool, m.slots)
	for _, in := range ins {
		for _, s := range in {
			used[s] = true
		}
	}
	var names []string
	for name, s := range m.slotOf {
		if !used[s] && m.consts[s] == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func topoSort(nodes []nodeDef, ins [][]int) ([]int, error) {
	const (
		unseen = iota
		active
		done
	)
	state := make([]uint8, len(nodes))
	order := make([]int, 0, len(nodes))
	type frame struct{ n, next int }
	for root := range nodes {
		if state[root] != unseen {
			continue
		}
		stack := []frame{{root, 0}}
		state[root] = active
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(ins[f.n]) {
				c := ins[f.n][f.next]
				f.next++
				switch state[c] {
				case unseen:
					state[c] = active
					stack = append(stack, frame{c, 0})
				case active:
					return nil, fmt.Errorf("nn: model.json: cycle through node %q", nodes[c].Name)
				}
				continue
			}
			state[f.n] = done
			order = append(order, f.n)
			stack = stack[:len(stack)-1]
		}
	}
	return order, nil
}

// decodeWeights splits the concatenated shards by the manifest and converts
// every weight to float32 (int32 values are small shapes and axes, exact in
// float32).
func decodeWeights(mf *modelFile, shards [][]byte) (map[string]*Tensor, error) {
	var buf []byte
	if len(shards) == 1 {
		buf = shards[0]
	} else {
		buf = bytes.Join(shards, nil)
	}
	out := make(map[string]*Tensor)
	off := 0
	for _, g := range mf.WeightsManifest {
		for _, w := range g.Weights {
			n := 1
			for _, d := range w.Shape {
				// Bounded by the data size, so a hostile shape cannot overflow.
				if d < 0 || (d > 0 && n > len(buf)/d) {
					return nil, fmt.Errorf("nn: weight %q: bad shape %v for %d bytes of weights", w.Name, w.Shape, len(buf))
				}
				n *= d
			}
			dtype := w.Dtype
			if w.Quantization != nil && w.Quantization.Dtype != "" {
				dtype = w.Quantization.Dtype
			}
			var size int
			switch dtype {
			case "float32", "int32":
				size = 4
			case "float16", "uint16":
				size = 2
			case "uint8", "bool":
				size = 1
			default:
				return nil, fmt.Errorf("nn: weight %q: unsupported dtype %q", w.Name, dtype)
			}
			if n > (len(buf)-off)/size {
				return nil, fmt.Errorf("nn: weights: %q needs %d bytes at offset %d, but the shards hold %d bytes in all (short or missing weight file?)", w.Name, n*size, off, len(buf))
			}
			raw := buf[off : off+n*size]
			off += n * size
			data := make([]float32, n)
			switch dtype {
			case "float32":
				for i := range data {
					data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
				}
			case "int32":
				for i := range data {
					data[i] = float32(int32(binary.LittleEndian.Uint32(raw[4*i:])))
				}
			case "float16":
				for i := range data {
					data[i] = halfToFloat(binary.LittleEndian.Uint16(raw[2*i:]))
				}
			case "uint16", "uint8":
				q := w.Quantization
				if q == nil || q.Scale == nil || q.Min == nil {
					if dtype == "uint8" && w.Dtype == "bool" {
						for i := range data {
							data[i] = float32(raw[i])
						}
						break
					}
					return nil, fmt.Errorf("nn: weight %q: %s quantization without scale and min", w.Name, dtype)
				}
				scale, mn := float32(*q.Scale), float32(*q.Min)
				for i := range data {
					var v float32
					if size == 1 {
						v = float32(raw[i])
					} else {
						v = float32(binary.LittleEndian.Uint16(raw[2*i:]))
					}
					data[i] = v*scale + mn
				}
			case "bool":
				for i := range data {
					data[i] = float32(raw[i])
				}
			}
			if w.Dtype != "float32" && w.Dtype != "int32" && w.Dtype != "bool" {
				return nil, fmt.Errorf("nn: weight %q: unsupported dtype %q", w.Name, w.Dtype)
			}
			out[w.Name] = &Tensor{Shape: append([]int(nil), w.Shape...), Data: data}
		}
	}
	if off != len(buf) {
		return nil, fmt.Errorf("nn: weights: the manifest describes %d bytes but the shards hold %d", off, len(buf))
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 binary16 value.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := uint32(127 - 15 + 1)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}

// attrs decodes TF.js attribute values on demand.
type attrs map[string]json.RawMessage

type attrValue struct {
	I    json.RawMessage `json:"i"`
	F    json.RawMessage `json:"f"`
	B    *bool           `json:"b"`
	S    *string         `json:"s"`
	Type string          `json:"type"`
	List *struct {
		I []json.RawMessage `json:"i"`
		F []json.RawMessage `json:"f"`
		S []string          `json:"s"`
	} `json:"list"`
	Shape *struct {
		Dim []struct {
			Size json.RawMessage `json:"size"`
		} `json:"dim"`
		UnknownRank bool `json:"unknownRank"`
	} `json:"shape"`
}

func (a attrs) get(name string) (*attrValue, bool, error) {
	raw, ok := a[name]
	if !ok {
		return nil, false, nil
	}
	var v attrValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, false, fmt.Errorf("attr %s: %w", name, err)
	}
	return &v, true, nil
}

// jsonNum parses a number written either bare or as a string (TF.js writes
// int64 values as strings).
func jsonNum(raw json.RawMessage) (float64, error) {
	s := strings.Trim(string(raw), `"`)
	return strconv.ParseFloat(s, 64)
}

func (a attrs) int(name string, def int) (int, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.I == nil {
		return def, err
	}
	f, err := jsonNum(v.I)
	if err != nil {
		return 0, fmt.Errorf("attr %s: %w", name, err)
	}
	return int(f), nil
}

func (a attrs) float(name string, def float32) (float32, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.F == nil {
		return def, err
	}
	f, err := jsonNum(v.F)
	if err != nil {
		return 0, fmt.Errorf("attr %s: %w", name, err)
	}
	return float32(f), nil
}

func (a attrs) bool(name string) (bool, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.B == nil {
		return false, err
	}
	return *v.B, nil
}

func (a attrs) str(name, def string) (string, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.S == nil {
		return def, err
	}
	b, err := base64.StdEncoding.DecodeString(*v.S)
	if err != nil {
		return "", fmt.Errorf("attr %s: %w", name, err)
	}
	return string(b), nil
}

func (a attrs) ints(name string) ([]int, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.List == nil {
		return nil, err
	}
	out := make([]int, len(v.List.I))
	for i, raw := range v.List.I {
		f, err := jsonNum(raw)
		if err != nil {
			return nil, fmt.Errorf("attr %s: %w", name, err)
		}
		out[i] = int(f)
	}
	return out, nil
}

func (a attrs) strs(name string) ([]string, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.List == nil {
		return nil, err
	}
	out := make([]string, len(v.List.S))
	for i, s := range v.List.S {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("attr %s: %w", name, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

func (a attrs) shape(name string) ([]int, bool, error) {
	v, ok, err := a.get(name)
	if err != nil || !ok || v.Shape == nil || v.Shape.UnknownRank {
		return nil, false, err
	}
	out := make([]int, len(v.Shape.Dim))
	for i, d := range v.Shape.Dim {
		if d.Size == nil {
			out[i] = -1
			continue
		}
		f, err := jsonNum(d.Size)
		if err != nil {
			return nil, false, fmt.Errorf("attr %s: %w", name, err)
		}
		out[i] = int(f)
	}
	return out, true, nil
}
