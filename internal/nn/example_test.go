package nn_test

import (
	"context"
	"fmt"

	"github.com/promptforge/lorastudio/internal/face/models"
	"github.com/promptforge/lorastudio/internal/nn"
)

// Load a shipped model once, then Run it per image (from any goroutine).
func ExampleModel_Run() {
	m, err := nn.Load(models.BlazeFaceFrontJSON, models.BlazeFaceFrontBin)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Inputs(), m.InputShape("input"), m.Outputs())

	img := nn.NewTensor(1, 128, 128, 3) // NHWC, pixels scaled to [-1, 1]
	out, err := m.Run(context.Background(), map[string]*nn.Tensor{"input": img}, "Identity", "Identity_2")
	if err != nil {
		panic(err)
	}
	fmt.Println(out["Identity"].Shape, out["Identity_2"].Shape)
	// Output:
	// [input] [1 128 128 3] [Identity Identity_1 Identity_2 Identity_3]
	// [1 512 1] [1 512 16]
}
