package nn_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/promptforge/lorastudio/internal/nn"
)

// graph builds a TF.js model.json and weight file in memory, so op tests go
// through Load like a real model.
type graph struct {
	nodes   []map[string]any
	weights []map[string]any
	bin     []byte
}

func (g *graph) input(name string, shape ...int) *graph {
	dims := make([]map[string]any, len(shape))
	for i, d := range shape {
		dims[i] = map[string]any{"size": fmt.Sprint(d)}
	}
	g.nodes = append(g.nodes, map[string]any{
		"name": name, "op": "Placeholder",
		"attr": map[string]any{"dtype": map[string]any{"type": "DT_FLOAT"}, "shape": map[string]any{"shape": map[string]any{"dim": dims}}},
	})
	return g
}

// konst adds a float32 Const node (int32 if dtype is "int32").
func (g *graph) konst(name, dtype string, shape []int, data ...float32) *graph {
	g.nodes = append(g.nodes, map[string]any{"name": name, "op": "Const", "attr": map[string]any{}})
	g.weights = append(g.weights, map[string]any{"name": name, "shape": shape, "dtype": dtype})
	for _, v := range data {
		if dtype == "int32" {
			g.bin = binary.LittleEndian.AppendUint32(g.bin, uint32(int32(v)))
		} else {
			g.bin = binary.LittleEndian.AppendUint32(g.bin, math.Float32bits(v))
		}
	}
	return g
}

func (g *graph) op(name, op string, attr map[string]any, in ...string) *graph {
	if attr == nil {
		attr = map[string]any{}
	}
	g.nodes = append(g.nodes, map[string]any{"name": name, "op": op, "input": in, "attr": attr})
	return g
}

func (g *graph) json() []byte {
	b, err := json.Marshal(map[string]any{
		"format":          "graph-model",
		"generatedBy":     "ops_test",
		"modelTopology":   map[string]any{"node": g.nodes},
		"weightsManifest": []any{map[string]any{"paths": []string{"w.bin"}, "weights": g.weights}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func (g *graph) load(t *testing.T) *nn.Model {
	t.Helper()
	m, err := nn.Load(g.json(), g.bin)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return m
}

// Attribute values as TF.js writes them.
func aInts(v ...int) map[string]any {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return map[string]any{"list": map[string]any{"i": s}}
}
func aStr(s string) map[string]any {
	return map[string]any{"s": base64.StdEncoding.EncodeToString([]byte(s))}
}
func aStrs(v ...string) map[string]any {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = base64.StdEncoding.EncodeToString([]byte(x))
	}
	return map[string]any{"list": map[string]any{"s": s}}
}
func aBool(b bool) map[string]any     { return map[string]any{"b": b} }
func aFloat(f float64) map[string]any { return map[string]any{"f": f} }

func conv(stride int, padding string) map[string]any {
	return map[string]any{"strides": aInts(1, stride, stride, 1), "padding": aStr(padding), "data_format": aStr("NHWC"), "dilations": aInts(1, 1, 1, 1)}
}

func with(a map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func seq(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i + 1)
	}
	return s
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

type opCase struct {
	name      string
	g         *graph
	in        *nn.Tensor
	wantShape []int
	want      []float32
}

func TestOps(t *testing.T) {
	for _, kernels := range []string{"asm", "portable"} {
		t.Run(kernels, func(t *testing.T) {
			if kernels == "asm" && !nn.AsmAvailable() {
				t.Skip("no assembly kernels on this CPU")
			}
			defer nn.SetAsm(kernels == "asm")()
			testOps(t)
		})
	}
}

func testOps(t *testing.T) {
	x55 := &nn.Tensor{Shape: []int{1, 5, 5, 1}, Data: seq(25)}
	x44 := &nn.Tensor{Shape: []int{1, 4, 4, 1}, Data: seq(16)}
	x33 := &nn.Tensor{Shape: []int{1, 3, 3, 1}, Data: seq(9)}
	x22 := &nn.Tensor{Shape: []int{1, 2, 2, 1}, Data: seq(4)}
	px := &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{1, 2, 3, 4}} // two pixels, two channels
	cases := []opCase{
		{
			name: "Conv2D SAME stride 2 odd size pads 1 each side",
			g:    new(graph).input("x", 1, 5, 5, 1).konst("w", "float32", []int{3, 3, 1, 1}, ones(9)...).op("y", "Conv2D", conv(2, "SAME"), "x", "w"),
			in:   x55, wantShape: []int{1, 3, 3, 1}, want: []float32{16, 33, 28, 69, 117, 87, 76, 123, 88},
		},
		{
			name: "Conv2D SAME stride 2 even size pads bottom/right only",
			g:    new(graph).input("x", 1, 4, 4, 1).konst("w", "float32", []int{3, 3, 1, 1}, ones(9)...).op("y", "Conv2D", conv(2, "SAME"), "x", "w"),
			in:   x44, wantShape: []int{1, 2, 2, 1}, want: []float32{54, 45, 72, 54},
		},
		{
			name: "Conv2D VALID distinct weights",
			g:    new(graph).input("x", 1, 3, 3, 1).konst("w", "float32", []int{2, 2, 1, 1}, 1, 2, 3, 4).op("y", "Conv2D", conv(1, "VALID"), "x", "w"),
			in:   x33, wantShape: []int{1, 2, 2, 1}, want: []float32{37, 47, 67, 77},
		},
		{
			name: "Conv2D dilation 2",
			g: new(graph).input("x", 1, 5, 5, 1).konst("w", "float32", []int{2, 2, 1, 1}, ones(4)...).
				op("y", "Conv2D", with(conv(1, "VALID"), "dilations", aInts(1, 2, 2, 1)), "x", "w"),
			in: x55, wantShape: []int{1, 3, 3, 1}, want: []float32{28, 32, 36, 48, 52, 56, 68, 72, 76},
		},
		{
			name: "Conv2D EXPLICIT top and right",
			g: new(graph).input("x", 1, 2, 2, 1).konst("w", "float32", []int{2, 2, 1, 1}, ones(4)...).
				op("y", "Conv2D", with(conv(1, "EXPLICIT"), "explicit_paddings", aInts(0, 0, 1, 0, 0, 1, 0, 0)), "x", "w"),
			in: x22, wantShape: []int{1, 2, 2, 1}, want: []float32{3, 2, 10, 6},
		},
		{
			name: "_FusedConv2D 1x1 BiasAdd Relu",
			g: new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 3}, 1, 0, 1, 0, 1, 1).konst("b", "float32", []int{3}, -2, 0, -10).
				op("y", "_FusedConv2D", with(conv(1, "SAME"), "fused_ops", aStrs("BiasAdd", "Relu"), "num_args", map[string]any{"i": "1"}), "x", "w", "b"),
			in: px, wantShape: []int{1, 1, 2, 3}, want: []float32{0, 2, 0, 1, 4, 0},
		},
		{
			name: "_FusedConv2D 1x1 BiasAdd Prelu",
			g: new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 3}, 1, 0, 1, 0, 1, 1).konst("b", "float32", []int{3}, -2, 0, -10).
				konst("a", "float32", []int{1, 1, 3}, 0.5, 0.5, 0.1).
				op("y", "_FusedConv2D", with(conv(1, "SAME"), "fused_ops", aStrs("BiasAdd", "Prelu"), "num_args", map[string]any{"i": "2"}), "x", "w", "b", "a"),
			in: px, wantShape: []int{1, 1, 2, 3}, want: []float32{-0.5, 2, -0.7, 1, 4, -0.3},
		},
		{
			name: "_FusedConv2D 1x1 BiasAdd Relu6",
			g: new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 3}, 1, 0, 1, 0, 1, 1).konst("b", "float32", []int{3}, 3, 0, 0).
				op("y", "_FusedConv2D", with(conv(1, "SAME"), "fused_ops", aStrs("BiasAdd", "Relu6"), "num_args", map[string]any{"i": "1"}), "x", "w", "b"),
			in: px, wantShape: []int{1, 1, 2, 3}, want: []float32{4, 2, 3, 6, 4, 6},
		},
		{
			name: "DepthwiseConv2dNative multiplier 2",
			g:    new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 2}, 1, 10, 100, 1000).op("y", "DepthwiseConv2dNative", conv(1, "VALID"), "x", "w"),
			in:   px, wantShape: []int{1, 1, 2, 4}, want: []float32{1, 10, 200, 2000, 3, 30, 400, 4000},
		},
		{
			name: "FusedDepthwiseConv2dNative SAME stride 2 BiasAdd Relu",
			g: new(graph).input("x", 1, 5, 5, 1).konst("w", "float32", []int{3, 3, 1, 1}, ones(9)...).konst("b", "float32", []int{1}, -50).
				op("y", "FusedDepthwiseConv2dNative", with(conv(2, "SAME"), "fused_ops", aStrs("BiasAdd", "Relu"), "num_args", map[string]any{"i": "1"}), "x", "w", "b"),
			in: x55, wantShape: []int{1, 3, 3, 1}, want: []float32{0, 0, 0, 19, 67, 37, 26, 73, 38},
		},
		{
			name: "MaxPool SAME 3x3 stride 2",
			g:    new(graph).input("x", 1, 5, 5, 1).op("y", "MaxPool", with(conv(2, "SAME"), "ksize", aInts(1, 3, 3, 1)), "x"),
			in:   x55, wantShape: []int{1, 3, 3, 1}, want: []float32{7, 9, 10, 17, 19, 20, 22, 24, 25},
		},
		{
			name: "MaxPool VALID 2x2 stride 2",
			g:    new(graph).input("x", 1, 5, 5, 1).op("y", "MaxPool", with(conv(2, "VALID"), "ksize", aInts(1, 2, 2, 1)), "x"),
			in:   x55, wantShape: []int{1, 2, 2, 1}, want: []float32{7, 9, 17, 19},
		},
		{
			name: "AvgPool SAME averages valid cells only",
			g:    new(graph).input("x", 1, 5, 5, 1).op("y", "AvgPool", with(conv(2, "SAME"), "ksize", aInts(1, 3, 3, 1)), "x"),
			in:   x55, wantShape: []int{1, 3, 3, 1}, want: []float32{4, 5.5, 7, 11.5, 13, 14.5, 19, 20.5, 22},
		},
		{
			name: "AddV2 broadcasts a row",
			g:    new(graph).input("x", 2, 3).konst("b", "float32", []int{3}, 10, 20, 30).op("y", "AddV2", nil, "x", "b"),
			in:   &nn.Tensor{Shape: []int{2, 3}, Data: seq(6)}, wantShape: []int{2, 3}, want: []float32{11, 22, 33, 14, 25, 36},
		},
		{
			name: "Mul outer broadcast",
			g:    new(graph).input("x", 2, 1).konst("b", "float32", []int{1, 3}, 1, 10, 100).op("y", "Mul", nil, "x", "b"),
			in:   &nn.Tensor{Shape: []int{2, 1}, Data: []float32{1, 2}}, wantShape: []int{2, 3}, want: []float32{1, 10, 100, 2, 20, 200},
		},
		{
			name: "Sub scalar minus tensor",
			g:    new(graph).input("x", 3).konst("a", "float32", []int{}, 10).op("y", "Sub", nil, "a", "x"),
			in:   &nn.Tensor{Shape: []int{3}, Data: []float32{1, 2, 3}}, wantShape: []int{3}, want: []float32{9, 8, 7},
		},
		{
			name: "Sub row minus matrix",
			g:    new(graph).input("x", 2, 3).konst("a", "float32", []int{3}, 1, 2, 3).op("y", "Sub", nil, "a", "x"),
			in:   &nn.Tensor{Shape: []int{2, 3}, Data: []float32{10, 20, 30, 40, 50, 60}}, wantShape: []int{2, 3}, want: []float32{-9, -18, -27, -39, -48, -57},
		},
		{
			name: "Maximum with scalar",
			g:    new(graph).input("x", 4).konst("b", "float32", []int{1}, 0).op("y", "Maximum", nil, "x", "b"),
			in:   &nn.Tensor{Shape: []int{4}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{4}, want: []float32{0, 2, 0, 4},
		},
		{
			name: "Minimum with scalar",
			g:    new(graph).input("x", 4).konst("b", "float32", []int{}, 0).op("y", "Minimum", nil, "x", "b"),
			in:   &nn.Tensor{Shape: []int{4}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{4}, want: []float32{-1, 0, -3, 0},
		},
		{
			name: "Prelu per channel",
			g:    new(graph).input("x", 1, 1, 2, 2).konst("a", "float32", []int{2}, 0.5, 0.25).op("y", "Prelu", nil, "x", "a"),
			in:   &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{-0.5, 2, -1.5, 4},
		},
		{
			name: "RealDiv same shape",
			g:    new(graph).input("x", 2).konst("b", "float32", []int{2}, 4, 8).op("y", "RealDiv", nil, "x", "b"),
			in:   &nn.Tensor{Shape: []int{2}, Data: []float32{1, 2}}, wantShape: []int{2}, want: []float32{0.25, 0.25},
		},
		{
			name: "Relu6", g: new(graph).input("x", 3).op("y", "Relu6", nil, "x"),
			in: &nn.Tensor{Shape: []int{3}, Data: []float32{-1, 3, 7}}, wantShape: []int{3}, want: []float32{0, 3, 6},
		},
		{
			name: "Rsqrt", g: new(graph).input("x", 2).op("y", "Rsqrt", nil, "x"),
			in: &nn.Tensor{Shape: []int{2}, Data: []float32{4, 0.25}}, wantShape: []int{2}, want: []float32{0.5, 2},
		},
		{
			name: "Sigmoid", g: new(graph).input("x", 1).op("y", "Sigmoid", nil, "x"),
			in: &nn.Tensor{Shape: []int{1}, Data: []float32{0}}, wantShape: []int{1}, want: []float32{0.5},
		},
		{
			name: "Abs then Square", g: new(graph).input("x", 2).op("a", "Abs", nil, "x").op("y", "Square", nil, "a"),
			in: &nn.Tensor{Shape: []int{2}, Data: []float32{-3, 2}}, wantShape: []int{2}, want: []float32{9, 4},
		},
		{
			name: "Reshape with -1",
			g:    new(graph).input("x", 2, 3).konst("s", "int32", []int{2}, 3, -1).op("y", "Reshape", nil, "x", "s"),
			in:   &nn.Tensor{Shape: []int{2, 3}, Data: seq(6)}, wantShape: []int{3, 2}, want: seq(6),
		},
		{
			name: "Squeeze dims 1 and 2",
			g:    new(graph).input("x", 1, 1, 1, 3).op("y", "Squeeze", map[string]any{"squeeze_dims": aInts(1, 2)}, "x"),
			in:   &nn.Tensor{Shape: []int{1, 1, 1, 3}, Data: seq(3)}, wantShape: []int{1, 3}, want: seq(3),
		},
		{
			name: "ExpandDims -1",
			g:    new(graph).input("x", 3).konst("a", "int32", []int{}, -1).op("y", "ExpandDims", nil, "x", "a"),
			in:   &nn.Tensor{Shape: []int{3}, Data: seq(3)}, wantShape: []int{3, 1}, want: seq(3),
		},
		{
			name: "Pad width and channels",
			g:    new(graph).input("x", 1, 1, 1, 2).konst("p", "int32", []int{4, 2}, 0, 0, 0, 0, 1, 0, 0, 2).op("y", "Pad", nil, "x", "p"),
			in:   &nn.Tensor{Shape: []int{1, 1, 1, 2}, Data: []float32{1, 2}}, wantShape: []int{1, 1, 2, 4}, want: []float32{0, 0, 0, 0, 1, 2, 0, 0},
		},
		{
			name: "Sum keep_dims",
			g:    new(graph).input("x", 2, 3).konst("a", "int32", []int{1}, 1).op("y", "Sum", map[string]any{"keep_dims": aBool(true)}, "x", "a"),
			in:   &nn.Tensor{Shape: []int{2, 3}, Data: seq(6)}, wantShape: []int{2, 1}, want: []float32{6, 15},
		},
		{
			name: "Mean over H and W",
			g:    new(graph).input("x", 1, 2, 2, 2).konst("a", "int32", []int{2}, 1, 2).op("y", "Mean", map[string]any{"keep_dims": aBool(false)}, "x", "a"),
			in:   &nn.Tensor{Shape: []int{1, 2, 2, 2}, Data: seq(8)}, wantShape: []int{1, 2}, want: []float32{4, 5},
		},
		{
			name: "Max over last axis",
			g:    new(graph).input("x", 2, 3).konst("a", "int32", []int{}, -1).op("y", "Max", nil, "x", "a"),
			in:   &nn.Tensor{Shape: []int{2, 3}, Data: []float32{1, 3, 2, 6, 5, 4}}, wantShape: []int{2}, want: []float32{3, 6},
		},
		{
			name: "Softmax",
			g:    new(graph).input("x", 1, 2).op("y", "Softmax", nil, "x"),
			in:   &nn.Tensor{Shape: []int{1, 2}, Data: []float32{0, float32(math.Log(3))}}, wantShape: []int{1, 2}, want: []float32{0.25, 0.75},
		},
		{
			name: "ConcatV2 last axis",
			g: new(graph).input("x", 1, 2, 1).konst("b", "float32", []int{1, 2, 2}, 3, 4, 5, 6).konst("a", "int32", []int{}, -1).
				op("y", "ConcatV2", map[string]any{"N": map[string]any{"i": "2"}}, "x", "b", "a"),
			in: &nn.Tensor{Shape: []int{1, 2, 1}, Data: []float32{1, 2}}, wantShape: []int{1, 2, 3}, want: []float32{1, 3, 4, 2, 5, 6},
		},
		{
			name: "MatMul transpose_b",
			g: new(graph).input("x", 1, 2).konst("b", "float32", []int{3, 2}, 1, 0, 0, 1, 1, 1).
				op("y", "MatMul", map[string]any{"transpose_a": aBool(false), "transpose_b": aBool(true)}, "x", "b"),
			in: &nn.Tensor{Shape: []int{1, 2}, Data: []float32{1, 2}}, wantShape: []int{1, 3}, want: []float32{1, 2, 3},
		},
		{
			name: "_FusedMatMul BiasAdd Relu",
			g: new(graph).input("x", 2, 2).konst("b", "float32", []int{2, 2}, 1, -1, 0, 1).konst("c", "float32", []int{2}, 0, -1).
				op("y", "_FusedMatMul", map[string]any{"fused_ops": aStrs("BiasAdd", "Relu"), "num_args": map[string]any{"i": "1"}, "epsilon": aFloat(0)}, "x", "b", "c"),
			in: &nn.Tensor{Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}}, wantShape: []int{2, 2}, want: []float32{1, 0, 3, 0},
		},
		{
			name: "Relu of AddV2 (fused)",
			g:    new(graph).input("x", 4).konst("b", "float32", []int{4}, 0.5, -3, 1, 1).op("s", "AddV2", nil, "x", "b").op("y", "Relu", nil, "s"),
			in:   &nn.Tensor{Shape: []int{4}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{4}, want: []float32{0, 0, 0, 5},
		},
		{
			name: "Relu6 of broadcast Add (fused op, unfused shapes)",
			g:    new(graph).input("x", 2, 2).konst("b", "float32", []int{2}, 1, 1).op("s", "Add", nil, "x", "b").op("y", "Relu6", nil, "s"),
			in:   &nn.Tensor{Shape: []int{2, 2}, Data: []float32{1, 5, -1, 9}}, wantShape: []int{2, 2}, want: []float32{2, 6, 0, 6},
		},
		{
			name: "Prelu of AddV2 (fused)",
			g: new(graph).input("x", 1, 1, 2, 2).konst("b", "float32", []int{1, 1, 2, 2}, 0, 0, 1, -8).konst("a", "float32", []int{2}, 0.5, 0.25).
				op("s", "AddV2", nil, "x", "b").op("y", "Prelu", nil, "s", "a"),
			in: &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{-0.5, 2, -1, -1},
		},
		{
			name: "PReLU written as Relu(x) + (x-|x|)*c (fused)",
			g: new(graph).input("x", 1, 1, 2, 2).konst("c", "float32", []int{2}, 0.25, 0.125).
				op("r", "Relu", nil, "x").op("a", "Abs", nil, "x").op("s", "Sub", nil, "x", "a").op("m", "Mul", nil, "s", "c").op("y", "Add", nil, "r", "m"),
			in: &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{-0.5, 2, -1.5, 4},
		},
		{
			name: "x + c*(x-|x|) (fused, operands swapped)",
			g: new(graph).input("x", 1, 1, 2, 2).konst("c", "float32", []int{2}, 0.25, 0.125).
				op("a", "Abs", nil, "x").op("s", "Sub", nil, "x", "a").op("m", "Mul", nil, "c", "s").op("y", "AddV2", nil, "m", "x"),
			in: &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{-1.5, 2, -4.5, 4},
		},
		{
			name: "Relu(x) + (x-|x|)*c with c per row (fused op, unfused shapes)",
			g: new(graph).input("x", 2, 2).konst("c", "float32", []int{2, 1}, 0.25, 0.5).
				op("r", "Relu", nil, "x").op("a", "Abs", nil, "x").op("s", "Sub", nil, "x", "a").op("m", "Mul", nil, "s", "c").op("y", "Add", nil, "r", "m"),
			in: &nn.Tensor{Shape: []int{2, 2}, Data: []float32{-1, 2, -3, 4}}, wantShape: []int{2, 2}, want: []float32{-0.5, 2, -3, 4},
		},
		{
			name: "Mul Add Relu Minimum Maximum (fused clip chain)",
			g: new(graph).input("x", 1, 1, 2, 2).konst("s", "float32", []int{2}, 2, -1).konst("c", "float32", []int{2}, 1, 0.5).
				konst("hi", "float32", []int{}, 6).konst("lo", "float32", []int{}, 0).
				op("m", "Mul", nil, "x", "s").op("a", "Add", nil, "m", "c").op("r", "Relu", nil, "a").
				op("n", "Minimum", nil, "r", "hi").op("y", "Maximum", nil, "n", "lo"),
			// x*s+c = [-1, -1.5, 7, -3.5]
			in: &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{-1, 2, 3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{0, 0, 6, 0},
		},
		{
			name: "Maximum then Minimum (fused clip chain)",
			g: new(graph).input("x", 3).konst("hi", "float32", []int{1}, 1).konst("lo", "float32", []int{}, -1).
				op("n", "Maximum", nil, "x", "lo").op("y", "Minimum", nil, "n", "hi"),
			in: &nn.Tensor{Shape: []int{3}, Data: []float32{-5, 0.5, 5}}, wantShape: []int{3}, want: []float32{-1, 0.5, 1},
		},
		{
			name: "Add per row then clip (fused op, unfused shapes)",
			g: new(graph).input("x", 2, 2).konst("c", "float32", []int{2, 1}, 10, -10).
				konst("hi", "float32", []int{}, 6).konst("lo", "float32", []int{}, 0).
				op("a", "AddV2", nil, "x", "c").op("n", "Minimum", nil, "a", "hi").op("y", "Maximum", nil, "n", "lo"),
			in: &nn.Tensor{Shape: []int{2, 2}, Data: []float32{-1, 2, 13, 14}}, wantShape: []int{2, 2}, want: []float32{6, 6, 3, 4},
		},
		{
			name: "Conv2D then batch norm and ReLU6 (folded into the conv)",
			g: new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 2}, 1, 0, 0, 1).
				konst("s", "float32", []int{2}, 2, -1).konst("c", "float32", []int{2}, 1, 0.5).
				konst("hi", "float32", []int{}, 6).konst("lo", "float32", []int{}, 0).
				op("k", "Conv2D", conv(1, "VALID"), "x", "w").
				op("m", "Mul", nil, "k", "s").op("a", "Add", nil, "m", "c").op("r", "Relu", nil, "a").
				op("n", "Minimum", nil, "r", "hi").op("y", "Maximum", nil, "n", "lo"),
			in: &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{1, 2, 3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{3, 0, 6, 0},
		},
		{
			name: "Depthwise then batch norm and ReLU6 (folded into the conv)",
			g: new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 1}, 1, 1).
				konst("s", "float32", []int{2}, 2, -1).konst("c", "float32", []int{2}, 1, 0.5).
				konst("hi", "float32", []int{}, 6).konst("lo", "float32", []int{}, 0).
				op("k", "DepthwiseConv2dNative", conv(1, "VALID"), "x", "w").
				op("m", "Mul", nil, "k", "s").op("a", "Add", nil, "m", "c").op("r", "Relu", nil, "a").
				op("n", "Minimum", nil, "r", "hi").op("y", "Maximum", nil, "n", "lo"),
			in: &nn.Tensor{Shape: []int{1, 1, 2, 2}, Data: []float32{1, 2, 3, 4}}, wantShape: []int{1, 1, 2, 2}, want: []float32{3, 0, 6, 0},
		},
		{
			name: "Identity of a tensor reference with :0",
			g:    new(graph).input("x", 2).op("y", "Identity", nil, "x:0"),
			in:   &nn.Tensor{Shape: []int{2}, Data: []float32{1, 2}}, wantShape: []int{2}, want: []float32{1, 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.g.load(t)
			got, err := m.Run(context.Background(), map[string]*nn.Tensor{"x": tc.in}, "y")
			if err != nil {
				t.Fatal(err)
			}
			y := got["y"]
			if !equalInts(y.Shape, tc.wantShape) {
				t.Fatalf("got shape %v, want %v", y.Shape, tc.wantShape)
			}
			for i := range tc.want {
				if math.Abs(float64(y.Data[i]-tc.want[i])) > 1e-5 {
					t.Fatalf("got %v, want %v", y.Data, tc.want)
				}
			}
		})
	}
}

func TestQuantizedWeights(t *testing.T) {
	g := new(graph).input("x", 4)
	g.nodes = append(g.nodes,
		map[string]any{"name": "q8", "op": "Const"},
		map[string]any{"name": "h", "op": "Const"})
	g.weights = append(g.weights,
		map[string]any{"name": "q8", "shape": []int{4}, "dtype": "float32", "quantization": map[string]any{"dtype": "uint8", "scale": 0.5, "min": -1}},
		map[string]any{"name": "h", "shape": []int{4}, "dtype": "float32", "quantization": map[string]any{"dtype": "float16"}})
	g.bin = append(g.bin, 0, 2, 255, 1)
	for _, h := range []uint16{0x3c00, 0xc000, 0x7bff, 0x0001} { // 1, -2, 65504, 2^-24
		g.bin = binary.LittleEndian.AppendUint16(g.bin, h)
	}
	g.op("y8", "AddV2", nil, "x", "q8").op("yh", "AddV2", nil, "x", "h")
	m := g.load(t)
	got, err := m.Run(context.Background(), map[string]*nn.Tensor{"x": nn.NewTensor(4)}, "y8", "yh")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]float32{"y8": {-1, 0, 126.5, -0.5}, "yh": {1, -2, 65504, float32(math.Ldexp(1, -24))}} {
		for i, v := range want {
			if got[name].Data[i] != v {
				t.Errorf("%s: got %v, want %v", name, got[name].Data, want)
				break
			}
		}
	}
}

func TestLoadErrors(t *testing.T) {
	twoBad := new(graph).input("x", 2).op("a", "Cumsum", nil, "x").op("y", "Erfinv", nil, "a")
	short := new(graph).input("x", 2).konst("w", "float32", []int{3}, 1, 2, 3).op("y", "AddV2", nil, "x", "w")
	nchw := new(graph).input("x", 1, 1, 3, 3).konst("w", "float32", []int{1, 1, 1, 1}, 1).
		op("y", "Conv2D", with(conv(1, "VALID"), "data_format", aStr("NCHW")), "x", "w")
	fused := new(graph).input("x", 1, 1, 1, 1).konst("w", "float32", []int{1, 1, 1, 1}, 1).konst("b", "float32", []int{1}, 1).
		op("y", "_FusedConv2D", with(conv(1, "VALID"), "fused_ops", aStrs("BiasAdd", "Swish"), "num_args", map[string]any{"i": "1"}), "x", "w", "b")
	dangling := new(graph).input("x", 2).op("y", "Relu", nil, "nothere")
	cycle := new(graph).op("a", "Relu", nil, "b").op("b", "Relu", nil, "a")
	huge := new(graph).input("x", 2).konst("w", "float32", []int{1 << 40, 1 << 40}).op("y", "AddV2", nil, "x", "w")
	huge.bin = make([]byte, 16)
	cases := []struct {
		name string
		json []byte
		bin  []byte
		want []string
	}{
		{"garbage JSON", []byte("{not json"), nil, []string{"model.json"}},
		{"not a graph model", []byte(`{"modelTopology":{}}`), nil, []string{"no modelTopology.node"}},
		{"unsupported ops all listed", twoBad.json(), twoBad.bin, []string{"unsupported ops", `Cumsum (node "a")`, `Erfinv (node "y")`}},
		{"short weights", short.json(), short.bin[:8], []string{`"w" needs 12 bytes`, "short or missing"}},
		{"extra weights", short.json(), append(short.bin, 0, 0, 0, 0), []string{"manifest describes 12 bytes but the shards hold 16"}},
		{"NCHW", nchw.json(), nchw.bin, []string{`node "y" (Conv2D)`, "data_format NCHW"}},
		{"unknown fused op", fused.json(), fused.bin, []string{`fused op "Swish"`}},
		{"dangling input", dangling.json(), nil, []string{`unknown node "nothere"`}},
		{"overflowing weight shape", huge.json(), huge.bin, []string{`weight "w": bad shape [1099511627776 1099511627776]`}},
		{"cycle", cycle.json(), nil, []string{"cycle"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nn.Load(tc.json, tc.bin)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	g := new(graph).input("x", -1, 2, 2, 1).konst("w", "float32", []int{1, 1, 1, 1}, 2).
		op("y", "Conv2D", conv(1, "VALID"), "x", "w").
		konst("s", "int32", []int{1}, 3).op("bad", "Reshape", nil, "x", "s")
	m := g.load(t)
	ctx := context.Background()
	ok := &nn.Tensor{Shape: []int{1, 2, 2, 1}, Data: seq(4)}
	huge := new(graph).input("x", 2).konst("p", "int32", []int{1, 2}, 1<<30, 1<<30).op("y", "Pad", nil, "x", "p").load(t)
	if _, err := huge.Run(ctx, map[string]*nn.Tensor{"x": nn.NewTensor(2)}); err == nil || !strings.Contains(err.Error(), `node "y" (Pad): tensor of shape [2147483650] exceeds the limit`) {
		t.Errorf("Pad by 2^30: got %v, want a size-limit error", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		in   map[string]*nn.Tensor
		out  []string
		want string
	}{
		{"missing input", ctx, nil, []string{"y"}, `missing input "x"`},
		{"wrong shape", ctx, map[string]*nn.Tensor{"x": {Shape: []int{1, 3, 2, 1}, Data: seq(6)}}, []string{"y"}, "want [-1 2 2 1]"},
		{"batch of two", ctx, map[string]*nn.Tensor{"x": {Shape: []int{2, 2, 2, 1}, Data: seq(8)}}, []string{"y"}, "batch size 2 not supported"},
		{"data shorter than shape", ctx, map[string]*nn.Tensor{"x": {Shape: []int{1, 2, 2, 1}, Data: seq(3)}}, []string{"y"}, "needs 4 values, got 3"},
		{"unknown output", ctx, map[string]*nn.Tensor{"x": ok}, []string{"z"}, `unknown output "z"`},
		{"not an input", ctx, map[string]*nn.Tensor{"x": ok, "w": ok}, []string{"y"}, `"w" is not an input`},
		{"runtime shape error names the node", ctx, map[string]*nn.Tensor{"x": ok}, []string{"bad"}, `node "bad" (Reshape): cannot reshape [1 2 2 1] (4 values) to [3]`},
		{"canceled", canceled, map[string]*nn.Tensor{"x": ok}, []string{"y"}, "context canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Run(tc.ctx, tc.in, tc.out...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want it to mention %q", err, tc.want)
			}
		})
	}
	// The broken branch is not needed for y, so y still runs.
	got, err := m.Run(ctx, map[string]*nn.Tensor{"x": ok}, "y")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{2, 4, 6, 8}; fmt.Sprint(got["y"].Data) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got["y"].Data, want)
	}
	if got := m.Outputs(); fmt.Sprint(got) != "[bad y]" {
		t.Errorf("Outputs() = %v, want [bad y]", got)
	}
	if got := m.Inputs(); fmt.Sprint(got) != "[x]" {
		t.Errorf("Inputs() = %v, want [x]", got)
	}
}

// TestConcurrentRun checks that one Model serves parallel and repeated Runs
// (which reuse earlier Runs' buffers) with the same answers as the first.
func TestConcurrentRun(t *testing.T) {
	for _, name := range []string{"blazeface-front", "mobilefacenet"} {
		t.Run(name, func(t *testing.T) {
			m := loadModel(t, name)
			g := readGolden(t, name)
			in := map[string]*nn.Tensor{g.Input.Name: g.input()}
			want, err := m.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 {
						got, err := m.Run(context.Background(), in)
						if err != nil {
							errs <- err
							return
						}
						for name, w := range want {
							for i, v := range w.Data {
								if got[name].Data[i] != v {
									errs <- fmt.Errorf("%s[%d]: got %v, want %v", name, i, got[name].Data[i], v)
									return
								}
							}
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestFusedChainNodesStillRun checks that nodes folded into a fused kernel
// can still be asked for by name.
func TestFusedChainNodesStillRun(t *testing.T) {
	add := new(graph).input("x", 2).konst("b", "float32", []int{2}, 1, 1).op("s", "AddV2", nil, "x", "b").op("y", "Relu", nil, "s").
		op("t", "AddV2", nil, "x", "b").op("u", "Relu", nil, "t").op("v", "Neg", nil, "t").load(t)
	if got := fmt.Sprint(nn.StepInputs(add, "y")); got != "[x b]" {
		t.Errorf("y reads %s, want [x b] (fused)", got)
	}
	clip := new(graph).input("x", 2).konst("s", "float32", []int{2}, 2, 3).konst("c", "float32", []int{2}, 1, 1).
		konst("hi", "float32", []int{}, 6).konst("lo", "float32", []int{}, 0).
		op("m", "Mul", nil, "s", "x").op("a", "Add", nil, "m", "c").op("r", "Relu", nil, "a").
		op("n", "Minimum", nil, "r", "hi").op("y", "Maximum", nil, "n", "lo").load(t)
	if got := fmt.Sprint(nn.StepInputs(clip, "y")); got != "[x s c]" {
		t.Errorf("clip chain reads %s, want [x s c] (fused)", got)
	}
	for _, op := range []string{"Conv2D", "DepthwiseConv2dNative"} {
		folded := new(graph).input("x", 1, 1, 1, 2).konst("w", "float32", []int{1, 1, 2, 1}, 1, 1).
			konst("c", "float32", []int{2}, 1, 1).konst("hi", "float32", []int{}, 6).konst("lo", "float32", []int{}, 0)
		if op == "Conv2D" {
			folded.konst("c1", "float32", []int{1}, 1)
			folded.op("k", op, conv(1, "VALID"), "x", "w").op("a", "AddV2", nil, "k", "c1")
		} else {
			folded.op("k", op, conv(1, "VALID"), "x", "w").op("a", "AddV2", nil, "k", "c")
		}
		m := folded.op("n", "Minimum", nil, "a", "hi").op("y", "Maximum", nil, "n", "lo").load(t)
		if got := fmt.Sprint(nn.StepInputs(m, "y")); got != "[x w]" {
			t.Errorf("%s: clip chain reads %s, want [x w] (folded into the conv)", op, got)
		}
	}
	if got := fmt.Sprint(nn.StepInputs(add, "u")); got != "[t]" {
		t.Errorf("u reads %s, want [t] (t has two consumers: not fused)", got)
	}

	m := new(graph).input("x", 1, 1, 2, 2).konst("c", "float32", []int{2}, 0.25, 0.125).
		op("r", "Relu", nil, "x").op("a", "Abs", nil, "x").op("s", "Sub", nil, "x", "a").op("m", "Mul", nil, "s", "c").op("y", "Add", nil, "r", "m").
		op("z", "Relu", nil, "y").load(t)
	if got := fmt.Sprint(nn.StepInputs(m, "y")); got != "[x c]" {
		t.Errorf("y reads %s, want [x c] (fused)", got)
	}
	got, err := m.Run(context.Background(), map[string]*nn.Tensor{"x": {Shape: []int{1, 1, 2, 2}, Data: []float32{-1, 2, -3, 4}}}, "s", "m", "y", "z")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]float32{"s": {-2, 0, -6, 0}, "m": {-0.5, 0, -1.5, 0}, "y": {-0.5, 2, -1.5, 4}, "z": {0, 2, 0, 4}} {
		if fmt.Sprint(got[name].Data) != fmt.Sprint(want) {
			t.Errorf("%s: got %v, want %v", name, got[name].Data, want)
		}
	}
}
