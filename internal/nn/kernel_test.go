package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestAsmMatchesPortable runs convolutions of many shapes (channel counts
// off the 8- and 16-lane widths, strides, dilations, odd sizes) through the
// assembly kernels and the portable code, which the hand-checked op tests
// and the golden tests pin down.
func TestAsmMatchesPortable(t *testing.T) {
	if !asmAvailable && !gemmAvailable {
		t.Skip("no assembly kernels on this CPU")
	}
	defer SetAsm(true)()
	rng := rand.New(rand.NewPCG(1, 2))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	type shape struct {
		h, w, ci, co, k, s, d int
		pad                   string
		act                   activation
	}
	var shapes []shape
	for _, ci := range []int{1, 3, 8, 10, 24, 42} {
		for _, co := range []int{1, 7, 16, 24, 33} {
			for _, k := range []int{1, 3, 5} {
				for _, s := range []int{1, 2} {
					for _, pad := range []string{"SAME", "VALID"} {
						acts := []activation{actNone, actRelu, actRelu6, actPrelu, actClamp}
						shapes = append(shapes, shape{h: 7 + k%2, w: 9, ci: ci, co: co, k: k, s: s, d: 1, pad: pad, act: acts[len(shapes)%len(acts)]})
					}
				}
			}
		}
	}
	shapes = append(shapes, shape{h: 11, w: 12, ci: 16, co: 16, k: 3, s: 1, d: 2, pad: "SAME", act: actRelu})
	for _, sh := range shapes {
		name := fmt.Sprintf("%dx%dx%d k%d s%d d%d %s co%d act%d", sh.h, sh.w, sh.ci, sh.k, sh.s, sh.d, sh.pad, sh.co, sh.act)
		x := &Tensor{Shape: []int{1, sh.h, sh.w, sh.ci}, Data: randn(sh.h * sh.w * sh.ci)}
		win := window{kh: sh.k, kw: sh.k, sh: sh.s, sw: sh.s, dh: sh.d, dw: sh.d, padding: sh.pad}
		ep := epilogue{bias: randn(sh.co), act: sh.act, alpha: randn(sh.co), lo: -0.5, hi: 0.7}
		c := &conv2d{win: win, ci: sh.ci, co: sh.co, w: randn(sh.k * sh.k * sh.ci * sh.co), ep: ep}
		c.prepare()
		dep := epilogue{bias: randn(sh.ci), act: sh.act, alpha: randn(sh.ci), lo: -0.5, hi: 0.7}
		dw := &depthwise{win: win, ci: sh.ci, mult: 1, w: randn(sh.k * sh.k * sh.ci), ep: dep}
		for _, k := range []struct {
			what string
			run  kernel
		}{{"conv", c.run}, {"depthwise", dw.run}} {
			SetAsm(false)
			want, err := k.run(&runState{}, []*Tensor{x})
			SetAsm(true)
			if err != nil {
				t.Fatalf("%s %s: %v", k.what, name, err)
			}
			got, err := k.run(&runState{}, []*Tensor{x})
			if err != nil {
				t.Fatalf("%s %s: %v", k.what, name, err)
			}
			for i, v := range want.Data {
				if d := math.Abs(float64(got.Data[i] - v)); d > 1e-4*(1+math.Abs(float64(v))) {
					t.Fatalf("%s %s: [%d] got %v, want %v", k.what, name, i, got.Data[i], v)
				}
			}
		}
	}
}

func TestAddReluAsm(t *testing.T) {
	if !dwAvailable {
		t.Skip("no assembly kernels on this CPU")
	}
	for _, n := range []int{1, 7, 32, 77, 1000} {
		a, b, o := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range a {
			a[i] = float32(i%13) - 6.5
			b[i] = float32(i%7) - 2
		}
		addRelu(&o[0], &a[0], &b[0], n)
		for i := range o {
			if want := max(a[i]+b[i], 0); o[i] != want {
				t.Fatalf("n=%d: [%d] got %v, want %v", n, i, o[i], want)
			}
		}
	}
}

// BenchmarkKernels reports GFLOP/s of the conv kernels on the face models'
// typical layer shapes.
func BenchmarkKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	for _, sh := range []struct {
		hw, ci, co, k int
		dw            bool
	}{
		{128, 24, 24, 1, false}, {128, 24, 0, 3, true}, {16, 96, 96, 1, false}, {16, 96, 0, 3, true},
		{28, 128, 256, 1, false}, {28, 128, 0, 3, true}, {64, 3, 24, 5, false},
	} {
		win := window{kh: sh.k, kw: sh.k, sh: 1, sw: 1, dh: 1, dw: 1, padding: "SAME"}
		x := &Tensor{Shape: []int{1, sh.hw, sh.hw, sh.ci}, Data: randn(sh.hw * sh.hw * sh.ci)}
		var run kernel
		var flops float64
		name := fmt.Sprintf("conv%dx%d/%dx%dx%d-%d", sh.k, sh.k, sh.hw, sh.hw, sh.ci, sh.co)
		if sh.dw {
			d := &depthwise{win: win, ci: sh.ci, mult: 1, w: randn(sh.k * sh.k * sh.ci)}
			run, flops = d.run, float64(2*sh.hw*sh.hw*sh.ci*sh.k*sh.k)
			name = fmt.Sprintf("dw%dx%d/%dx%dx%d", sh.k, sh.k, sh.hw, sh.hw, sh.ci)
		} else {
			c := &conv2d{win: win, ci: sh.ci, co: sh.co, w: randn(sh.k * sh.k * sh.ci * sh.co)}
			c.prepare()
			run, flops = c.run, float64(2*sh.hw*sh.hw*sh.ci*sh.co*sh.k*sh.k)
		}
		b.Run(name, func(b *testing.B) {
			rs := &runState{}
			cpu0 := CPUTime()
			for b.Loop() {
				out, err := run(rs, []*Tensor{x})
				if err != nil {
					b.Fatal(err)
				}
				rs.free(out.Data)
			}
			if cpu := CPUTime() - cpu0; cpu > 0 {
				b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/s-cpu")
			}
		})
	}
}

func TestPreluRowsAsm(t *testing.T) {
	if !asmAvailable {
		t.Skip("no assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{8, 64} {
		x := &Tensor{Shape: []int{1, 3, 5, n}, Data: make([]float32, 15*n)}
		for i := range x.Data {
			x.Data[i] = float32(rng.NormFloat64())
		}
		x.Data[0], x.Data[1] = 0, float32(math.Copysign(0, -1))
		c := &Tensor{Shape: []int{n}, Data: make([]float32, n)}
		for i := range c.Data {
			c.Data[i] = float32(rng.NormFloat64())
		}
		for _, relu := range []bool{false, true} {
			useAsm = false
			want, _ := preluForm(&runState{}, x, c, relu, true)
			useAsm = true
			got, _ := preluForm(&runState{}, x, c, relu, false)
			for i, v := range want.Data {
				if got.Data[i] != v {
					t.Fatalf("n=%d relu=%v: [%d] got %v, want %v", n, relu, i, got.Data[i], v)
				}
			}
		}
	}
}

// TestRunRecoversKernelPanic: a kernel bug on an unforeseen graph surfaces
// as an error naming the node, not a crash.
func TestRunRecoversKernelPanic(t *testing.T) {
	m := &Model{
		slots: 2, slotOf: map[string]int{"x": 0, "y": 1}, consts: make([]*Tensor, 2), producer: []int{-1, 0},
		inputs: []placeholder{{name: "x", slot: 0}}, outputs: []string{"y"},
		steps: []step{{name: "y", op: "Boom", in: []int{0}, out: 1, run: func(*runState, []*Tensor) (*Tensor, error) {
			var s []float32
			return nil, fmt.Errorf("unreachable %v", s[3])
		}}},
	}
	_, err := m.Run(t.Context(), map[string]*Tensor{"x": NewTensor(2)})
	if err == nil || !strings.Contains(err.Error(), `node "y" (Boom): internal error on inputs [[2]]`) || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("got %v, want an internal error naming node y", err)
	}
}
