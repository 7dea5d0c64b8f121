package space

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxNumberLen bounds the length of a number written in a space, and
// maxExponent the magnitude of its decimal exponent, so that exact decimal
// arithmetic on hostile input stays cheap.
const (
	maxNumberLen = 64
	maxExponent  = 400
)

// parseDecimal reads a finite decimal number ("3", "-0.25", "1e-4") both as
// a float64 and exactly. Hex floats, fractions, "inf" and "nan" are rejected.
func parseDecimal(s string) (float64, *big.Rat, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, nil, fmt.Errorf("must be a number, got %q", s)
	}
	if len(t) > maxNumberLen {
		return 0, nil, fmt.Errorf("must be a number of at most %d characters, got %d", maxNumberLen, len(t))
	}
	mant, exp := t, ""
	if i := strings.IndexAny(t, "eE"); i >= 0 {
		mant, exp = t[:i], t[i+1:]
		e, err := strconv.Atoi(exp)
		if err != nil || e > maxExponent || e < -maxExponent {
			return 0, nil, fmt.Errorf("must be a decimal number, got %q", s)
		}
	}
	mant = strings.TrimLeft(mant, "+-")
	digits := 0
	dots := 0
	for _, c := range mant {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return 0, nil, fmt.Errorf("must be a decimal number, got %q", s)
		}
	}
	if digits == 0 || dots > 1 || strings.Count(t, "+")+strings.Count(t, "-") > 2 {
		return 0, nil, fmt.Errorf("must be a decimal number, got %q", s)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, nil, fmt.Errorf("must be a finite number, got %q", s)
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return 0, nil, fmt.Errorf("must be a decimal number, got %q", s)
	}
	return f, r, nil
}

// FormatFloat writes a double the way assignments carry it: the shortest
// decimal that reads back as the same float64, without an exponent unless
// the number is very small or very large.
func FormatFloat(v float64) string {
	if v == 0 {
		return "0"
	}
	a := math.Abs(v)
	if a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// ratFloat is the float64 nearest to r.
func ratFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}
