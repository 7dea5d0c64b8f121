package search

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// gp is a Gaussian process regression on encoded points: kernel
// A · Matérn-5/2 with one length scale per dimension (ARD) plus white
// noise, on targets normalised to mean 0 and variance 1.
type gp struct {
	cat   []bool // per dimension: a choice (distance 0 if equal, else 1) or a number in [0, 1]
	x     [][]float64
	theta []float64 // log A, log ℓ₁..ℓ_d, log noise
	ymean float64
	ystd  float64
	l     [][]float64 // the Cholesky factor L of the kernel matrix, row by row
	amp   float64     // A
	inv   []float64   // 1/ℓ_k²
	alpha []float64   // K⁻¹ y
}

// Bounds of the hyperparameters (natural logs are fitted).
var (
	gpAmp    = [2]float64{math.Log(0.01), math.Log(1000)}
	gpLength = [2]float64{math.Log(0.01), math.Log(100)}
	gpNoise  = [2]float64{math.Log(1e-6), math.Log(0.5)}
)

func (g *gp) bounds(k int) [2]float64 {
	switch k {
	case 0:
		return gpAmp
	case len(g.theta) - 1:
		return gpNoise
	}
	return gpLength
}

// sqdist fills d[k] with the squared distance of a and b in dimension k.
func (g *gp) sqdist(a, b, d []float64) {
	for k := range a {
		switch {
		case g.cat[k] && a[k] == b[k]:
			d[k] = 0
		case g.cat[k]:
			d[k] = 1
		default:
			d[k] = (a[k] - b[k]) * (a[k] - b[k])
		}
	}
}

// scales returns A and 1/ℓ_k² of theta.
func scales(theta []float64) (amp float64, inv []float64) {
	inv = make([]float64, len(theta)-2)
	for k := range inv {
		inv[k] = math.Exp(-2 * theta[k+1])
	}
	return math.Exp(theta[0]), inv
}

// matern is A · (1 + √5 r + 5r²/3) e^(−√5 r) with r² = Σ d_k/ℓ_k².
func matern(amp float64, inv, d []float64) float64 {
	var r2 float64
	for k, v := range d {
		r2 += v * inv[k]
	}
	s5 := math.Sqrt(5 * r2)
	return amp * (1 + s5 + 5*r2/3) * math.Exp(-s5)
}

// fitGP fits the hyperparameters by maximum marginal likelihood (L-BFGS
// from a fixed start) on the first nfit points, then conditions the process
// on all of them.
func fitGP(cat []bool, xAll [][]float64, yAll []float64, nfit int) *gp {
	x, y := xAll[:nfit], yAll[:nfit]
	g := &gp{cat: cat, x: x}
	var sum, sq float64
	for _, v := range y {
		sum += v
	}
	g.ymean = sum / float64(len(y))
	for _, v := range y {
		sq += (v - g.ymean) * (v - g.ymean)
	}
	g.ystd = math.Sqrt(sq / float64(len(y)))
	if g.ystd == 0 || math.IsNaN(g.ystd) {
		g.ystd = 1
	}
	yn := make([]float64, len(y))
	for i, v := range y {
		yn[i] = (v - g.ymean) / g.ystd
	}
	d := len(cat)
	g.theta = make([]float64, d+2)
	for k := range d {
		g.theta[k+1] = math.Log(0.3)
	}
	g.theta[d+1] = math.Log(1e-3)
	nll := g.likelihood(x, yn)
	// gonum asks for the value and the gradient at the same point
	// separately: compute both once.
	lastX, lastG := make([]float64, d+2), make([]float64, d+2)
	lastF := math.NaN()
	at := func(theta []float64) {
		if !math.IsNaN(lastF) && slices.Equal(theta, lastX) {
			return
		}
		copy(lastX, theta)
		lastF = nll(theta, lastG)
	}
	p := optimize.Problem{
		Func: func(t []float64) float64 { at(t); return lastF },
		Grad: func(grad, t []float64) { at(t); copy(grad, lastG) },
	}
	res, err := optimize.Minimize(p, g.theta, &optimize.Settings{MajorIterations: 20, FuncEvaluations: 30}, &optimize.LBFGS{})
	if res != nil && (err == nil || !math.IsInf(res.F, 1)) && !math.IsNaN(res.F) && !math.IsInf(res.F, 1) {
		copy(g.theta, res.X)
	}
	for k, t := range g.theta {
		b := g.bounds(k)
		g.theta[k] = math.Min(math.Max(t, b[0]), b[1])
	}
	ynAll := make([]float64, len(yAll))
	for i, v := range yAll {
		ynAll[i] = (v - g.ymean) / g.ystd
	}
	g.condition(xAll, ynAll)
	return g
}

// condition factorises the kernel matrix of x with the fitted
// hyperparameters, with normalised targets yn.
func (g *gp) condition(x [][]float64, yn []float64) {
	n := len(x)
	g.x = x
	K := mat.NewSymDense(n, nil)
	dd := make([]float64, len(g.cat))
	noise := math.Exp(g.theta[len(g.theta)-1])
	var chol mat.Cholesky
	amp, inv := scales(g.theta)
	for jitter := 1e-8; ; jitter *= 100 {
		for i := range n {
			for j := 0; j <= i; j++ {
				g.sqdist(x[i], x[j], dd)
				v := matern(amp, inv, dd)
				if i == j {
					v += noise + jitter
				}
				K.SetSym(i, j, v)
			}
		}
		if chol.Factorize(K) || jitter > 1 {
			break
		}
	}
	alpha := mat.NewVecDense(n, nil)
	_ = chol.SolveVecTo(alpha, mat.NewVecDense(n, yn))
	g.alpha = alpha.RawVector().Data
	g.amp, g.inv = amp, inv
	var l mat.TriDense
	chol.LTo(&l)
	g.l = make([][]float64, n)
	for i := range n {
		g.l[i] = make([]float64, i+1)
		for j := 0; j <= i; j++ {
			g.l[i][j] = l.At(i, j)
		}
	}
}

// withLies returns the process conditioned also on points lies, each
// observed at value lie (in original units): Sluice's constant liar.
func (g *gp) withLies(lies [][]float64, y []float64, lie float64) *gp {
	if len(lies) == 0 {
		return g
	}
	h := &gp{cat: g.cat, theta: g.theta, ymean: g.ymean, ystd: g.ystd}
	x := append(append([][]float64(nil), g.x...), lies...)
	yn := make([]float64, 0, len(x))
	for _, v := range y {
		yn = append(yn, (v-g.ymean)/g.ystd)
	}
	for range lies {
		yn = append(yn, (lie-g.ymean)/g.ystd)
	}
	h.condition(x, yn)
	return h
}

// predict returns the posterior mean and standard deviation at x, in
// original units. k is scratch of length len(g.x), dd of the dimension.
func (g *gp) predict(x []float64, k, dd []float64) (mu, sd float64) {
	n := len(g.x)
	for i := range n {
		g.sqdist(x, g.x[i], dd)
		k[i] = matern(g.amp, g.inv, dd)
		mu += k[i] * g.alpha[i]
	}
	// v = L⁻¹k by forward substitution, in place; σ² = A − vᵀv.
	var vv float64
	for i := range n {
		s := k[i]
		row := g.l[i]
		for j := range i {
			s -= row[j] * k[j]
		}
		k[i] = s / row[i]
		vv += k[i] * k[i]
	}
	variance := g.amp - vv
	sd = math.Sqrt(math.Max(variance, 1e-12))
	return mu*g.ystd + g.ymean, sd * g.ystd
}

// likelihood returns the negative log marginal likelihood of normalised
// targets yn at x as a function of the hyperparameters (plus a penalty
// outside their bounds), which also writes its gradient to grad.
func (g *gp) likelihood(x [][]float64, yn []float64) func(theta, grad []float64) float64 {
	cat := g.cat
	d := len(cat)
	n := len(x)
	dist := make([][][]float64, n) // pairwise squared distances per dimension (lower triangle)
	for i := range n {
		dist[i] = make([][]float64, i+1)
		for j := 0; j <= i; j++ {
			dist[i][j] = make([]float64, d)
			g.sqdist(x[i], x[j], dist[i][j])
		}
	}
	K := make([]float64, n*n)
	kinv := make([]float64, n*n)
	alpha := make([]float64, n)
	return func(theta, grad []float64) float64 {
		noise := math.Exp(theta[d+1])
		amp, inv := scales(theta)
		for i := range n {
			for j := 0; j <= i; j++ {
				v := matern(amp, inv, dist[i][j])
				if i == j {
					v += noise + 1e-8
				}
				K[i*n+j] = v
			}
		}
		a := blas64.Symmetric{Uplo: blas.Lower, N: n, Stride: n, Data: K}
		L, ok := lapack64.Potrf(a)
		for k := range grad {
			grad[k] = 0
		}
		if !ok {
			return math.Inf(1)
		}
		copy(alpha, yn)
		blas64.Trsv(blas.NoTrans, L, blas64.Vector{N: n, Inc: 1, Data: alpha})
		var quad, logdet float64
		for i := range n {
			quad += alpha[i] * alpha[i]
			logdet += 2 * math.Log(K[i*n+i])
		}
		blas64.Trsv(blas.Trans, L, blas64.Vector{N: n, Inc: 1, Data: alpha}) // α = K⁻¹y
		f := 0.5*quad + 0.5*logdet + 0.5*float64(n)*math.Log(2*math.Pi)
		for k, t := range theta {
			b := g.bounds(k)
			if t < b[0] {
				f += 1e3 * (b[0] - t) * (b[0] - t)
				grad[k] -= 2e3 * (b[0] - t)
			} else if t > b[1] {
				f += 1e3 * (t - b[1]) * (t - b[1])
				grad[k] += 2e3 * (t - b[1])
			}
		}
		// K⁻¹ from the factor: lower triangle of kinv.
		copy(kinv, K)
		if _, ok := lapack64.Potri(blas64.Triangular{Uplo: blas.Lower, Diag: blas.NonUnit, N: n, Stride: n, Data: kinv}); !ok {
			return math.Inf(1)
		}
		for i := range n {
			for j := 0; j <= i; j++ {
				w := alpha[i]*alpha[j] - kinv[i*n+j] // (ααᵀ − K⁻¹)ᵢⱼ
				if i != j {
					w *= 2 // both triangles
				}
				dd := dist[i][j]
				var r2 float64
				for k, v := range dd {
					r2 += v * inv[k]
				}
				r := math.Sqrt(r2)
				e := math.Exp(-math.Sqrt(5) * r)
				kij := amp * (1 + math.Sqrt(5)*r + 5*r2/3) * e
				c := amp * 5 / 3 * (1 + math.Sqrt(5)*r) * e
				grad[0] -= 0.5 * w * kij
				for k, v := range dd {
					if v != 0 {
						grad[k+1] -= 0.5 * w * c * v * inv[k]
					}
				}
				if i == j {
					grad[d+1] -= 0.5 * w * noise
				}
			}
		}
		return f
	}
}
