package bytesize

import "fmt"

// Text is n in the largest unit (MiB, KiB) it is a whole number of, else
// in bytes.
func Text[N ~int | ~int64](n N) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
