package nn

// SetAsm switches the assembly kernels on or off (if the CPU has them) and
// returns a function restoring the previous setting.
func SetAsm(on bool) (restore func()) {
	prev := useAsm
	useAsm = on && asmAvailable
	return func() { useAsm = prev }
}

// AsmAvailable reports whether this CPU runs the assembly kernels.
func AsmAvailable() bool { return asmAvailable }
