package sobol

import (
	"math/bits"
	"math/rand/v2"
)

const nbits = 32

// Seq is the sequence in d dimensions.
type Seq struct {
	v [][nbits]uint32 // direction numbers v_k · 2^32, k = 1..32
}

// New returns the d-dimensional sequence.
func New(d int) *Seq {
	s := &Seq{v: make([][nbits]uint32, d)}
	polys := primitivePolys(d - 1)
	for j := range d {
		if j == 0 {
			for k := range nbits {
				s.v[0][k] = 1 << (nbits - 1 - k)
			}
			continue
		}
		s.v[j] = s.pick(j, polys[j-1])
	}
	return s
}

// Point writes the n-th point (n = 0 is the origin) to dst, len(dst) = d.
func (s *Seq) Point(n uint32, dst []float64) {
	g := n ^ (n >> 1) // Gray code: x_n is the XOR of v_k over its set bits
	for j := range s.v {
		var x uint32
		for b, k := g, 0; b != 0; b, k = b>>1, k+1 {
			if b&1 != 0 {
				x ^= s.v[j][k]
			}
		}
		dst[j] = float64(x) / (1 << nbits)
	}
}

// directions expands initial numbers m (len = degree s) of polynomial
// coefficients a (the inner bits) into the 32 direction numbers.
func directions(s int, a uint32, m []uint32) [nbits]uint32 {
	var v [nbits]uint32
	for k := 0; k < nbits; k++ {
		if k < s {
			v[k] = m[k] << (nbits - 1 - k)
			continue
		}
		x := v[k-s] ^ (v[k-s] >> s)
		for i := 1; i < s; i++ {
			if (a>>(s-1-i))&1 != 0 {
				x ^= v[k-i]
			}
		}
		v[k] = x
	}
	return v
}

// pick chooses dimension j's initial numbers among seeded candidates: the
// one whose first 64 points, paired with each earlier dimension (up to 32
// before it), leave the fewest elementary intervals of area 1/64 empty
// (fewest in the worst pair, then in total) — a proxy for the t-value of
// the projection that Joe and Kuo minimise.
func (s *Seq) pick(j int, p poly) [nbits]uint32 {
	r := rand.New(rand.NewPCG(0x50b01, uint64(j)))
	candidates, window := 96, 32
	if j >= 64 {
		candidates, window = 16, 8
	}
	var best [nbits]uint32
	bestWorst, bestTotal := 1<<30, 1<<30
	for c := range candidates {
		m := make([]uint32, p.deg)
		for k := range m {
			m[k] = 1
			if k > 0 && c > 0 {
				m[k] = uint32(r.IntN(2<<k)) | 1 // odd, below 2^(k+1)
			}
		}
		v := directions(p.deg, p.a, m)
		worst, total := 0, 0
		for i := max(0, j-window); i < j; i++ {
			e := emptyBoxes(&s.v[i], &v)
			worst = max(worst, e)
			total += e
		}
		if worst < bestWorst || worst == bestWorst && total < bestTotal {
			best, bestWorst, bestTotal = v, worst, total
		}
	}
	return best
}

// emptyBoxes counts, over the five grids of 2^a × 2^(6−a) boxes
// (a = 1..5), the boxes the first 64 points of two dimensions leave empty.
func emptyBoxes(a, b *[nbits]uint32) int {
	var boxes [5]uint64
	var x, y uint32
	for n := uint32(0); n < 64; n++ {
		if n > 0 {
			c := bits.TrailingZeros32(^(n - 1))
			x ^= a[c]
			y ^= b[c]
		}
		for s := 1; s <= 5; s++ {
			boxes[s-1] |= 1 << (x>>(32-s)<<(6-s) | y>>(26+s))
		}
	}
	empty := 0
	for _, m := range boxes {
		empty += 64 - bits.OnesCount64(m)
	}
	return empty
}

// poly is x^deg + a_1 x^(deg−1) + … + a_(deg−1) x + 1 with a's bits a_1..a_(deg−1).
type poly struct {
	deg int
	a   uint32
}

// primitivePolys returns the first n primitive polynomials over GF(2) in
// increasing order of degree, then of a.
func primitivePolys(n int) []poly {
	var out []poly
	for deg := 1; len(out) < n; deg++ {
		order := uint64(1)<<deg - 1
		factors := primeFactors(order)
		for a := uint32(0); a < 1<<(deg-1) && len(out) < n; a++ {
			full := uint64(1)<<deg | uint64(a)<<1 | 1
			if isPrimitive(full, deg, order, factors) {
				out = append(out, poly{deg: deg, a: a})
			}
		}
	}
	return out
}

// isPrimitive reports that x has multiplicative order 2^deg − 1 modulo p.
func isPrimitive(p uint64, deg int, order uint64, factors []uint64) bool {
	if powmod(2, order, p, deg) != 1 {
		return false
	}
	for _, q := range factors {
		if powmod(2, order/q, p, deg) == 1 {
			return false
		}
	}
	return true
}

// powmod is x^e mod p over GF(2)[x]; x and the result are bit vectors.
func powmod(x, e, p uint64, deg int) uint64 {
	r := uint64(1)
	x = polymod(x, p, deg)
	for ; e > 0; e >>= 1 {
		if e&1 != 0 {
			r = mulmod(r, x, p, deg)
		}
		x = mulmod(x, x, p, deg)
	}
	return r
}

func mulmod(a, b, p uint64, deg int) uint64 {
	var r uint64
	for ; b != 0; b >>= 1 {
		if b&1 != 0 {
			r ^= a
		}
		a <<= 1
		if a>>deg&1 != 0 {
			a ^= p
		}
	}
	return r
}

func polymod(a, p uint64, deg int) uint64 {
	for i := 63; i >= deg; i-- {
		if a>>i&1 != 0 {
			a ^= p << (i - deg)
		}
	}
	return a
}

func primeFactors(n uint64) []uint64 {
	var fs []uint64
	for q := uint64(2); q*q <= n; q++ {
		if n%q == 0 {
			fs = append(fs, q)
			for n%q == 0 {
				n /= q
			}
		}
	}
	if n > 1 {
		fs = append(fs, n)
	}
	return fs
}
