package nn

// SetAsm switches the assembly kernels on or off (if the CPU has them) and
// returns a function restoring the previous setting.
func SetAsm(on bool) (restore func()) {
	prev, prevGEMM, prevDW := useAsm, useGEMM, useDW
	useAsm, useGEMM, useDW = on && asmAvailable, on && gemmAvailable, on && dwAvailable
	return func() { useAsm, useGEMM, useDW = prev, prevGEMM, prevDW }
}

// AsmAvailable reports whether this CPU runs any assembly kernels.
func AsmAvailable() bool { return asmAvailable || gemmAvailable || dwAvailable }

// StepInputs returns the nodes the kernel of node reads, which differ from
// its graph inputs when it was fused.
func StepInputs(m *Model, node string) []string {
	names := make(map[int]string, len(m.slotOf))
	for n, s := range m.slotOf {
		names[s] = n
	}
	st := m.steps[m.producer[m.slotOf[node]]]
	var out []string
	for _, s := range st.in {
		out = append(out, names[s])
	}
	return out
}
