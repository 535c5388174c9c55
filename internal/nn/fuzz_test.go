package nn_test

import (
	"context"
	"testing"

	"github.com/promptforge/lorastudio/internal/nn"
)

// FuzzLoad feeds mutated model.json and weights to Load and, when it
// accepts them, to Run: either may fail, neither may panic.
func FuzzLoad(f *testing.F) {
	seeds := []*graph{
		new(graph).input("x", 1, 5, 5, 1).konst("w", "float32", []int{3, 3, 1, 1}, ones(9)...).op("y", "Conv2D", conv(2, "SAME"), "x", "w"),
		new(graph).input("x", 1, 1, 2, 2).konst("w", "float32", []int{1, 1, 2, 2}, 1, 10, 100, 1000).op("y", "DepthwiseConv2dNative", conv(1, "VALID"), "x", "w"),
		new(graph).input("x", 2, 3).konst("s", "int32", []int{2}, 3, -1).op("y", "Reshape", nil, "x", "s"),
		new(graph).input("x", 1, 1, 1, 2).konst("p", "int32", []int{4, 2}, 0, 0, 0, 0, 1, 0, 0, 2).op("y", "Pad", nil, "x", "p"),
		new(graph).input("x", 1, 5, 5, 1).op("y", "MaxPool", with(conv(2, "SAME"), "ksize", aInts(1, 3, 3, 1)), "x"),
	}
	for _, g := range seeds {
		f.Add(g.json(), g.bin)
	}
	f.Fuzz(func(t *testing.T, js, bin []byte) {
		m, err := nn.Load(js, bin)
		if err != nil {
			return
		}
		in := map[string]*nn.Tensor{}
		for _, name := range m.Inputs() {
			shape := m.InputShape(name)
			n := 1
			for i, d := range shape {
				if d < 0 {
					shape[i] = 1
					d = 1
				}
				n *= d
			}
			if n > 1<<16 {
				return
			}
			in[name] = &nn.Tensor{Shape: shape, Data: make([]float32, n)}
		}
		m.Run(context.Background(), in) //nolint:errcheck // only panics matter
	})
}
